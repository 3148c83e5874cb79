package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * The blobs of cached repositories: served from the store when it has them, fetched from the upstream when
 * it lacks them. One request in the cluster fetches a blob at a time ({@link FetchLease}, {@link BlobFetcher});
 * every other request for it streams the fetch as it progresses ({@link FetchFollower}), and takes the fetch
 * over, from where its client stands, when the fetching replica stops.
 */
@Service
public class CachedBlobs implements AutoCloseable {

    /** The longest a request waits for another replica's fetch to make progress (8 MiB). */
    static final Duration MAX_STALL = Duration.ofMinutes(5);
    /** The first and the longest pause between two looks at another replica's fetch that had nothing new. */
    private static final long FIRST_PAUSE_MILLIS = 100;
    private static final long MAX_PAUSE_MILLIS = 1000;

    private final BlobService blobs;
    private final BlobFetcher fetcher;
    private final FetchFollower follower;
    private final ProxyEvents events;
    private final StorageDriver store;
    private final JsonMapper json;
    private final Clock clock;
    /** Whose fetch lease is whose. */
    private final String replicaId = UUID.randomUUID().toString();
    /** Renews the leases of this replica's fetches: one thread, a store write per fetch every ten seconds. */
    private final ScheduledExecutorService leaseRenewals = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "berth-fetch-leases");
        thread.setDaemon(true);
        return thread;
    });

    CachedBlobs(BlobService blobs, BlobFetcher fetcher, FetchFollower follower, StorageDriver store, JsonMapper json,
            Optional<ProxyEvents> events, Optional<Clock> clock) {
        this.blobs = blobs;
        this.fetcher = fetcher;
        this.follower = follower;
        this.store = store;
        this.json = json;
        this.events = events.orElse(ProxyEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /** What a blob request of a cached repository finds. */
    public record BlobLookup(Optional<BlobInfo> local, long upstreamSize) {
    }

    /**
     * The blob when the store has it for this repository (a blob another repository fetched is linked
     * here once the upstream confirms this repository has it); otherwise, for a {@code HEAD}, its size
     * upstream, from a {@code HEAD} there; for a {@code GET}, nothing yet: {@link #fetch} streams it.
     */
    public BlobLookup find(CachedRepository repository, Digest digest, boolean head) {
        Optional<BlobInfo> linked = blobs.find(repository.name(), digest);
        if (linked.isPresent()) {
            events.hit(ProxyEvents.Kind.BLOB);
            return new BlobLookup(linked, -1);
        }
        Optional<BlobInfo> stored = blobs.findStored(digest);
        if (stored.isEmpty() && !head) {
            return new BlobLookup(Optional.empty(), -1);
        }
        long size;
        try (UpstreamRegistry.Answer answer = repository.upstream()
                .fetch(repository.upstreamName(), "blobs", digest.toString(), true)
                .orElseThrow(() -> unknownBlob(repository, digest))) {
            size = answer.contentLength();
        }
        if (stored.isPresent()) {
            blobs.link(repository.name(), digest);
            events.hit(ProxyEvents.Kind.BLOB);
            return new BlobLookup(stored, size);
        }
        return new BlobLookup(Optional.empty(), size);
    }

    /** Where a fetched blob goes to the client: opened once the blob's size is known. */
    @FunctionalInterface
    public interface BlobSink {
        /** @param size the blob's size, or -1 when the upstream did not say */
        OutputStream open(long size) throws IOException;
    }

    /**
     * Streams the blob to {@code sink}: fetched by this request when no other fetches it, else followed as
     * another request fetches it. Returns the blob when it turned out stored before anything was sent: it is
     * served from the store (empty: the blob was streamed to the sink).
     */
    public Optional<BlobInfo> fetch(CachedRepository repository, Digest digest, BlobSink sink) throws IOException {
        ClientStream client = new ClientStream(sink);
        boolean waited = false;
        long stalledSince = System.nanoTime();
        long pause = FIRST_PAUSE_MILLIS;
        FetchFollower.Step step = FetchFollower.Step.WAITING;
        while (true) {
            // A fetch that just moved is alive: its lease need not be tried.
            Optional<FetchLease> lease = step == FetchFollower.Step.MOVED ? Optional.empty()
                    : FetchLease.tryAcquire(store, json, clock, replicaId, digest, leaseRenewals);
            if (lease.isPresent()) {
                try {
                    if (blobs.findStored(digest).isEmpty()) {
                        fetcher.fetch(repository, digest, client);
                        return Optional.empty();
                    }
                } finally {
                    lease.get().release();
                }
                // Stored by another replica between our look and our claim.
                if (!client.isOpen()) {
                    return find(repository, digest, true).local();
                }
            } else if (!waited) {
                events.sharedFetchWaited();
                waited = true;
            }
            step = follower.step(digest, client);
            switch (step) {
                case STORED -> {
                    return find(repository, digest, true).local();
                }
                case DONE -> {
                    return Optional.empty();
                }
                case MOVED -> {
                    stalledSince = System.nanoTime();
                    pause = FIRST_PAUSE_MILLIS;
                }
                case WAITING -> {
                    if (System.nanoTime() - stalledSince > MAX_STALL.toNanos()) {
                        throw new UpstreamException(0, "another replica's fetch of " + digest
                                + " made no progress for " + MAX_STALL.toSeconds() + " s");
                    }
                    pause(pause);
                    pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
                }
            }
            if (client.isGone()) {
                return Optional.empty();
            }
        }
    }

    @Override
    public void close() {
        leaseRenewals.shutdownNow();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(0, "interrupted while waiting for another replica's fetch");
        }
    }

    static RegistryException unknownBlob(CachedRepository repository, Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is not known in "
                + repository.name() + " nor upstream", digest.toString());
    }
}
