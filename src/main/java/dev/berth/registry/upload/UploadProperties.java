package dev.berth.registry.upload;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long uploads may live, and the purge that clears the ones left behind.
 *
 * @param idleTimeout an upload that received no data for this long expires
 * @param maxAge an upload older than this expires, however active
 * @param purge the periodic purge of expired uploads' data
 * @param maxOpenPerRepository uploads holding data that one repository may have at once; the first chunk of
 *     one more is refused with {@code 429 TOOMANYREQUESTS} (0: no limit). Sessions that never received data
 *     cost nothing and do not count
 */
@ConfigurationProperties("berth.uploads")
public record UploadProperties(@DefaultValue("1h") Duration idleTimeout, @DefaultValue("24h") Duration maxAge,
        @DefaultValue Purge purge, @DefaultValue("1000") int maxOpenPerRepository) {

    /**
     * @param enabled whether this replica runs the purge on a schedule (the on-demand trigger always works)
     * @param interval time between runs; each replica adds a random delay of up to one interval at start
     * @param dryRun report what would be deleted without deleting it
     * @param lockTimeout how long a replica's claim on the purge lasts if it dies without releasing it
     */
    public record Purge(@DefaultValue("true") boolean enabled, @DefaultValue("10m") Duration interval,
            @DefaultValue("false") boolean dryRun, @DefaultValue("5m") Duration lockTimeout) {
    }
}
