package dev.berth.registry.upload;

import dev.berth.memory.BufferPool;
import dev.berth.memory.MemoryBudget;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.gc.BlobRescue;
import dev.berth.storage.RedirectProperties;
import dev.berth.storage.StorageDriver;
import dev.berth.support.InMemoryStorageDriver;
import dev.berth.support.MovableClock;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.json.JsonMapper;

/**
 * The upload services wired as Berth wires them, over one store in memory and one clock the test moves, for
 * service-level tests of the upload rules: each is built here once, so a test names only the policy it
 * checks. Close it to stop the writer threads.
 */
public final class UploadServices implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final MovableClock clock;
    final InMemoryStorageDriver store;
    final RecordedEvents events = new RecordedEvents();
    final BlobRescue rescue;
    final BlobService blobs;
    final UploadStates states;
    final UploadCommit commits;
    final UploadProperties properties;
    final UploadService uploads;
    private final UploadWriters writers = new UploadWriters();

    private UploadServices(UploadProperties properties) {
        this(new MovableClock(), properties);
    }

    private UploadServices(MovableClock clock, UploadProperties properties) {
        this(clock, new InMemoryStorageDriver(clock), properties);
    }

    private UploadServices(MovableClock clock, InMemoryStorageDriver store, UploadProperties properties) {
        this.clock = clock;
        this.store = store;
        this.rescue = new BlobRescue(store, JSON, clock, Duration.ofMinutes(2));
        this.blobs = new BlobService(store, new RedirectProperties(false, Duration.ofMinutes(20)), rescue);
        this.states = new UploadStates(store, JSON);
        this.commits = new UploadCommit(store, blobs, states, rescue, Optional.of(clock));
        this.properties = properties;
        this.uploads = uploadService(store, blobs, states, commits, writers,
                new BufferPool(new MemoryBudget(16L << 20, Duration.ofSeconds(5))), properties, events, clock);
    }

    /**
     * The upload services over a store and clock another package's test built (the garbage collector's),
     * with default timeouts and no purge.
     */
    public static UploadServices on(MovableClock clock, InMemoryStorageDriver store) {
        return new UploadServices(clock, store, properties(Duration.ofHours(1), Duration.ofHours(24), false));
    }

    public UploadService uploads() {
        return uploads;
    }

    public BlobService blobs() {
        return blobs;
    }

    public BlobRescue rescue() {
        return rescue;
    }

    /** The upload service wired as the application wires it, from parts a test built itself. */
    static UploadService uploadService(StorageDriver store, BlobService blobs, UploadStates states,
            UploadCommit commits, UploadWriters writers, BufferPool buffers, UploadProperties properties,
            Clock clock) {
        return uploadService(store, blobs, states, commits, writers, buffers, properties, null, clock);
    }

    private static UploadService uploadService(StorageDriver store, BlobService blobs, UploadStates states,
            UploadCommit commits, UploadWriters writers, BufferPool buffers, UploadProperties properties,
            UploadEvents events, Clock clock) {
        Optional<UploadEvents> observer = Optional.ofNullable(events);
        OpenUploads uploads = new OpenUploads(store, states, properties, observer, Optional.of(clock));
        ChunkAppender chunks = new ChunkAppender(store, uploads, states, new OpenUploadsLimit(store, properties),
                writers, buffers, observer, Optional.of(clock));
        UploadCompletion completion = new UploadCompletion(uploads, chunks, states, commits, blobs, observer,
                Optional.of(clock));
        return new UploadService(uploads, chunks, completion, commits, store, observer, Optional.of(clock));
    }

    /** Uploads expire after {@code idleTimeout} without data or at {@code maxAge}; the purge deletes for real. */
    static UploadServices withTimeouts(Duration idleTimeout, Duration maxAge) {
        return new UploadServices(properties(idleTimeout, maxAge, false));
    }

    /** As {@link #withTimeouts}, with a purge that only reports what it would delete. */
    static UploadServices withDryRunPurge(Duration idleTimeout, Duration maxAge) {
        return new UploadServices(properties(idleTimeout, maxAge, true));
    }

    private static UploadProperties properties(Duration idleTimeout, Duration maxAge, boolean dryRun) {
        return new UploadProperties(idleTimeout, maxAge,
                new UploadProperties.Purge(false, Duration.ofMinutes(10), dryRun, Duration.ofMinutes(5)), 1000);
    }

    /** A purger of its own, as each replica has one (with its own lease owner), on the shared store. */
    UploadPurge newPurge() {
        return new UploadPurge(store, states, commits, properties, JSON, Optional.of(events), Optional.of(clock));
    }

    /** Opens an upload in {@code repository} and sends it {@code size} bytes; its id. */
    String uploadHolding(RepositoryName repository, int size) {
        String id = uploads.start(repository).id();
        uploads.append(repository, id, new ByteArrayInputStream(new byte[size]), null, size);
        return id;
    }

    /** The ids of the uploads whose folders are in the store. */
    List<String> uploadsIn(RepositoryName repository) {
        return store.list(StorePaths.uploads(repository));
    }

    @Override
    public void close() {
        writers.stop();
    }

    /** What the services told their observer (Berth's metrics), in order. */
    static final class RecordedEvents implements UploadEvents {
        final List<String> expired = new CopyOnWriteArrayList<>();
        final List<PurgeReport> purges = new CopyOnWriteArrayList<>();
        final List<Long> chunks = new CopyOnWriteArrayList<>();

        @Override
        public void chunkReceived(long bytes, java.time.Duration took) {
            chunks.add(bytes);
        }

        @Override
        public void expired(String reason) {
            expired.add(reason);
        }

        @Override
        public void purgeFinished(PurgeReport report) {
            purges.add(report);
        }
    }
}
