package dev.berth.registry.gc;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The garbage collection of blobs no manifest references.
 *
 * @param enabled whether this replica runs it on a schedule (the on-demand trigger always works)
 * @param interval time between runs; each replica adds a random delay of up to one interval at start
 * @param grace a blob whose data is younger than this is never collected: it may have been pushed for a
 *     manifest that is not pushed yet
 * @param settle the pause between condemning blobs and deleting them: longer than any writer takes between
 *     checking a blob's marker and writing what makes the blob live
 * @param dryRun report what would be deleted without deleting anything (the report is stored); a run asked
 *     for by hand may say otherwise
 * @param lockTimeout how long a replica's claim on the collection lasts if it dies without releasing it; the
 *     running replica renews it between steps
 */
@ConfigurationProperties("berth.gc")
public record GcProperties(@DefaultValue("false") boolean enabled, @DefaultValue("24h") Duration interval,
        @DefaultValue("1h") Duration grace, @DefaultValue("2m") Duration settle, @DefaultValue("false") boolean dryRun,
        @DefaultValue("10m") Duration lockTimeout) {
}
