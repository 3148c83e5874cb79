package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.StoreLease;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The claim of one replica on fetching one blob from an upstream ({@link StorePaths#proxyFetch}), so that
 * replicas asked for the same missing blob at once fetch it once: the others follow the fetch. Held for
 * {@link #DURATION} and renewed on a timer while the fetch runs, however long the upstream keeps it waiting,
 * so it lapses only when its replica dies; deleted when the fetch ends, successful or not.
 */
final class FetchLease {

    static final Duration DURATION = Duration.ofSeconds(30);
    private static final Duration RENEW_EVERY = Duration.ofSeconds(10);

    private final StorageDriver store;
    private final StoreLease lease;
    private final String path;
    private final ScheduledFuture<?> renewals;
    private String version;

    private FetchLease(StorageDriver store, StoreLease lease, String path, String version,
            ScheduledExecutorService timer) {
        this.store = store;
        this.lease = lease;
        this.path = path;
        this.version = version;
        this.renewals = timer.scheduleWithFixedDelay(this::renew, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The claim on fetching {@code digest}, renewed on {@code timer}; empty when another replica holds it. */
    static Optional<FetchLease> tryAcquire(StorageDriver store, JsonMapper json, Clock clock, String owner,
            Digest digest, ScheduledExecutorService timer) {
        String path = StorePaths.proxyFetch(digest);
        StoreLease lease = new StoreLease(store, path, json, clock, owner);
        return lease.tryAcquire(DURATION).map(version -> new FetchLease(store, lease, path, version, timer));
    }

    private synchronized void renew() {
        if (version != null) {
            try {
                // Lost: another replica took it after a lapse and fetches too, harmlessly.
                version = lease.renew(version, DURATION).orElse(null);
            } catch (RuntimeException e) {
                // The store failed this once; the next renewal tries again, well within the lease.
            }
        }
    }

    /** Ends the claim and removes its object, so the store keeps none per blob fetched. */
    synchronized void release() {
        renewals.cancel(false);
        if (version != null) {
            lease.release(version);
            store.delete(path);
            version = null;
        }
    }
}
