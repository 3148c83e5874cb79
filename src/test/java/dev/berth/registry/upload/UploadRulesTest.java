package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.memory.BufferPool;
import dev.berth.memory.MemoryBudget;
import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.gc.BlobRescue;
import dev.berth.storage.RedirectProperties;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import dev.berth.support.InMemoryStorageDriver;
import dev.berth.support.MovableClock;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The upload rules on a store in memory and a clock the test moves: sessions that cost nothing, commits that
 * finish wherever they broke off, expiry and the purge, in milliseconds and without a server.
 */
class UploadRulesTest {

    static final RepositoryName REPO = new RepositoryName("rules/app");
    static final JsonMapper JSON = JsonMapper.builder().build();

    MovableClock clock;
    InMemoryStorageDriver store;
    BlobService blobs;
    BlobRescue rescue;
    UploadStates states;
    UploadCommit commits;
    UploadService uploads;
    UploadPurge purge;
    UploadProperties properties;
    final UploadWriters writers = new UploadWriters();
    final BufferPool buffers = new BufferPool(new MemoryBudget(16L << 20, Duration.ofSeconds(5)));

    @org.junit.jupiter.api.AfterEach
    void stopWriters() {
        writers.stop();
    }

    @BeforeEach
    void wire() {
        clock = new MovableClock();
        store = new InMemoryStorageDriver(clock);
        rescue = new BlobRescue(store, JSON, clock, Duration.ofMinutes(2));
        blobs = new BlobService(store, new RedirectProperties(false, Duration.ofMinutes(20)), rescue);
        states = new UploadStates(store, JSON);
        commits = new UploadCommit(store, blobs, states, rescue, Optional.of(clock));
        properties = new UploadProperties(Duration.ofHours(1), Duration.ofHours(24),
                new UploadProperties.Purge(false, Duration.ofMinutes(10), false, Duration.ofMinutes(5)), 1000);
        uploads = UploadServices.uploadService(store, blobs, states, commits, writers, buffers, properties, clock);
        purge = new UploadPurge(store, states, commits, properties, JSON, Optional.empty(), Optional.of(clock));
    }

    @Test
    void openingAnUploadWritesNothingAndItsIdIsKnownOnlyInItsRepository() {
        long before = store.calls();
        UploadStatus opened = uploads.start(REPO);

        assertThat(store.calls()).isEqualTo(before);
        assertThat(uploads.status(REPO, opened.id()).size()).isZero();
        assertUnknown(() -> uploads.status(new RepositoryName("rules/other"), opened.id()));
    }

    @Test
    void aSessionWithoutDataExpiresByItsOwnClockAndACancelledOneStaysUnknown() {
        String idle = uploads.start(REPO).id();
        String cancelled = uploads.start(REPO).id();
        uploads.cancel(REPO, cancelled);
        assertUnknown(() -> uploads.status(REPO, cancelled));

        clock.advance(Duration.ofMinutes(61));
        assertThatThrownBy(() -> uploads.status(REPO, idle)).hasMessageContaining("expired");
        assertUnknown(() -> uploads.status(REPO, cancelled));
        purge.run();
        assertThat(store.list(StorePaths.closedUploads(REPO))).as("markers of expired ids").isEmpty();
    }

    @Test
    void aCommitThatBeganIsFinishedByTheNextPutWhereverItBrokeOff() {
        byte[] blob = bytes(5000);
        Digest digest = digest(blob);
        String id = uploadWithoutCommit(blob);
        // What a replica leaves when it dies right after recording that the commit began.
        beginCommitAsADyingReplicaWould(id, digest.toString());

        assertThat(uploads.status(REPO, id).committingAs()).isEqualTo(digest);
        assertThatThrownBy(() -> uploads.append(REPO, id, new ByteArrayInputStream(new byte[10]), null, 10))
                .hasMessageContaining("has begun");
        assertThatThrownBy(() -> uploads.cancel(REPO, id)).hasMessageContaining("has begun");
        assertThatThrownBy(() -> uploads.complete(REPO, id, digest(bytes(10)), new ByteArrayInputStream(new byte[0]), 0))
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.DIGEST_INVALID);

        assertThat(uploads.complete(REPO, id, digest, new ByteArrayInputStream(new byte[0]), 0).digest())
                .isEqualTo(digest);
        assertThat(store.readAll(StorePaths.blobData(digest))).isEqualTo(blob);
        assertThat(blobs.find(REPO, digest)).isPresent();
        assertUnknown(() -> uploads.status(REPO, id));
    }

    @Test
    void aCommitMarkedCompletedByAnEarlierBuildIsFinishedToo() {
        byte[] blob = bytes(3000);
        Digest digest = digest(blob);
        String id = uploadWithoutCommit(blob);
        beginCommitAsADyingReplicaWould(id, null);

        assertThat(uploads.complete(REPO, id, digest, new ByteArrayInputStream(new byte[0]), 0).size())
                .isEqualTo(blob.length);
        assertThat(store.readAll(StorePaths.blobData(digest))).isEqualTo(blob);
    }

    @Test
    void aCommitWhoseAnswerWasLostIsAnsweredAgainButNotForAnotherDigest() {
        byte[] blob = bytes(2000);
        Digest digest = digest(blob);
        String id = uploadWithoutCommit(blob);
        uploads.complete(REPO, id, digest, new ByteArrayInputStream(new byte[0]), 0);

        assertThat(uploads.complete(REPO, id, digest, new ByteArrayInputStream(new byte[0]), 0).digest())
                .isEqualTo(digest);
        assertUnknown(() -> uploads.complete(REPO, id, digest(bytes(5)), new ByteArrayInputStream(new byte[0]), 0));
        assertUnknown(() -> uploads.append(REPO, id, new ByteArrayInputStream(new byte[5]), null, 5));
    }

    @Test
    void thePurgeFinishesACommitItsClientAbandoned() {
        byte[] blob = bytes(4000);
        Digest digest = digest(blob);
        String id = uploadWithoutCommit(blob);
        beginCommitAsADyingReplicaWould(id, digest.toString());

        assertThat(purge.run().commitsFinished()).as("a commit that may still be repeated").isZero();
        clock.advance(Duration.ofMinutes(61));
        PurgeReport report = purge.run();

        assertThat(report.commitsFinished()).isEqualTo(1);
        assertThat(blobs.find(REPO, digest)).isPresent();
        assertThat(store.readAll(StorePaths.blobData(digest))).isEqualTo(blob);
        assertThat(store.list(StorePaths.uploads(REPO))).isEmpty();
    }

    @Test
    void uploadsWithDataAreBoundedPerRepositoryButSessionsWithoutAreNot() {
        UploadProperties tight = new UploadProperties(Duration.ofHours(1), Duration.ofHours(24),
                new UploadProperties.Purge(false, Duration.ofMinutes(10), false, Duration.ofMinutes(5)), 2);
        uploads = UploadServices.uploadService(store, blobs, states, commits, writers, buffers, tight, clock);
        String first = uploads.start(REPO).id();
        String second = uploads.start(REPO).id();
        String third = uploads.start(REPO).id();
        uploads.append(REPO, first, new ByteArrayInputStream(new byte[10]), null, 10);
        uploads.append(REPO, second, new ByteArrayInputStream(new byte[10]), null, 10);

        assertThatThrownBy(() -> uploads.append(REPO, third, new ByteArrayInputStream(new byte[10]), null, 10))
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.TOOMANYREQUESTS);
        uploads.cancel(REPO, first);
        assertThat(uploads.append(REPO, third, new ByteArrayInputStream(new byte[10]), null, 10).size()).isEqualTo(10);
    }

    @Test
    void thePurgeCarriesOnPastAnUploadThatIsBeingClosedAtTheSameTime() {
        String closing = uploadWithoutCommit(bytes(1000));
        UploadStates.Saved saved = states.peek(REPO, closing).orElseThrow();
        // Cancelled, its folder not yet deleted: what the purge sees while the cancelling request is at work.
        states.publish(REPO, closing, saved.state().asCancelled(clock.instant()), saved.version());
        String idle = uploadWithoutCommit(bytes(1000));
        clock.advance(Duration.ofMinutes(61));
        String closingState = StorePaths.uploadState(REPO, closing);
        // The request closes it first: the purge's own close then finds the state changed under it.
        StorageDriver racing = (StorageDriver) java.lang.reflect.Proxy.newProxyInstance(
                StorageDriver.class.getClassLoader(), new Class<?>[] {StorageDriver.class}, (proxy, method, args) -> {
                    if (method.getName().equals("writeIfVersion") && closingState.equals(args[0])) {
                        throw new VersionConflictException(closingState);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        UploadStates racingStates = new UploadStates(racing, JSON);
        UploadPurge racingPurge = new UploadPurge(racing, racingStates,
                new UploadCommit(racing, blobs, racingStates, rescue, Optional.of(clock)), properties, JSON,
                Optional.empty(), Optional.of(clock));

        PurgeReport report = racingPurge.run();

        assertThat(report.deleted()).as("the expired upload after it is still purged").isEqualTo(1);
        assertUnknown(() -> uploads.status(REPO, idle));
    }

    private String uploadWithoutCommit(byte[] blob) {
        String id = uploads.start(REPO).id();
        int half = blob.length / 2;
        uploads.append(REPO, id, new ByteArrayInputStream(blob, 0, half), new ChunkRange(0, half - 1), half);
        uploads.append(REPO, id, new ByteArrayInputStream(blob, half, blob.length - half),
                new ChunkRange(half, blob.length - 1), blob.length - half);
        return id;
    }

    /** Marks the upload's state as a replica does before composing (without a digest: as earlier builds did). */
    private void beginCommitAsADyingReplicaWould(String id, String digest) {
        VersionedObject state = store.readVersioned(StorePaths.uploadState(REPO, id)).orElseThrow();
        ObjectNode node = (ObjectNode) JSON.readTree(state.content());
        node.put("completed", true);
        if (digest != null) {
            node.put("digest", digest);
        }
        store.writeIfVersion(StorePaths.uploadState(REPO, id), JSON.writeValueAsBytes(node), state.version());
    }

    private static void assertUnknown(Runnable request) {
        assertThatThrownBy(request::run).isInstanceOf(RegistryException.class)
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN);
    }

    private static byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static Digest digest(byte[] content) {
        try {
            return Digest.sha256(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
