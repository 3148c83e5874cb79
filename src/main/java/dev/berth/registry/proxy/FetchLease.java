package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.StoreLease;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The claim of one replica on fetching one blob from an upstream ({@link StorePaths#proxyFetch}), so that
 * replicas asked for the same missing blob at once fetch it once: the others wait for it to appear in the
 * store. Held for {@link #DURATION} and renewed while the blob streams, so a replica that dies mid-fetch
 * frees it within that time; deleted when the fetch ends, successful or not.
 */
final class FetchLease {

    static final Duration DURATION = Duration.ofSeconds(30);
    private static final long RENEW_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    private final StorageDriver store;
    private final StoreLease lease;
    private final String path;
    private String version;
    private long renewedAt;

    private FetchLease(StorageDriver store, StoreLease lease, String path, String version) {
        this.store = store;
        this.lease = lease;
        this.path = path;
        this.version = version;
        this.renewedAt = System.nanoTime();
    }

    /** The claim on fetching {@code digest}, or empty when another replica holds it. */
    static Optional<FetchLease> tryAcquire(StorageDriver store, JsonMapper json, Clock clock, String owner,
            Digest digest) {
        String path = StorePaths.proxyFetch(digest);
        StoreLease lease = new StoreLease(store, path, json, clock, owner);
        return lease.tryAcquire(DURATION).map(version -> new FetchLease(store, lease, path, version));
    }

    /** Called as bytes arrive: renews the claim every ten seconds (one store write). */
    void progress() {
        if (version != null && System.nanoTime() - renewedAt > RENEW_EVERY_NANOS) {
            renewedAt = System.nanoTime();
            version = lease.renew(version, DURATION).orElse(null); // lost: another replica fetches too, harmlessly
        }
    }

    /** Ends the claim and removes its object, so the store keeps none per blob fetched. */
    void release() {
        if (version != null) {
            lease.release(version);
            store.delete(path);
        }
    }
}
