package dev.berth.registry.proxy;

import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * When each cached tag was last checked against its upstream, kept in the store (a small object per tag,
 * {@link StorePaths#proxyTagCheck}) so every replica shares it: a tag checked by one is fresh for all. Not
 * the tag link's own time: rewriting the link at each check would make the tag look pushed anew to the
 * retention policies, which keep the most recently pushed tags.
 */
@Component
class TagChecks {

    private final StorageDriver store;
    private final Clock clock;

    TagChecks(StorageDriver store, Optional<Clock> clock) {
        this.store = store;
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /** Whether the tag was checked less than {@code ttl} ago (by this replica's clock, written as a time). */
    boolean isFresh(RepositoryName repository, String tag, Duration ttl) {
        Optional<byte[]> checked = store.readBytes(StorePaths.proxyTagCheck(repository, tag));
        if (checked.isEmpty()) {
            return false;
        }
        try {
            Instant at = Instant.parse(new String(checked.get(), StandardCharsets.UTF_8).trim());
            return clock.instant().isBefore(at.plus(ttl));
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    void checkedNow(RepositoryName repository, String tag) {
        store.writeBytes(StorePaths.proxyTagCheck(repository, tag),
                clock.instant().toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Deletes the tag's check, once garbage collection evicted the tag. */
    void forget(RepositoryName repository, String tag) {
        store.delete(StorePaths.proxyTagCheck(repository, tag));
    }
}
