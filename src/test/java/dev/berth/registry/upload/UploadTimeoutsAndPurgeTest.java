package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.support.RandomBytes;
import dev.berth.support.Sha256;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upload timeouts and the purge of what they leave, on a store in memory and a clock the test moves:
 * which uploads expire and why, what the purge deletes and spares, its dry run, and its lease between
 * replicas. (Its wiring in a running Berth, on a schedule and over HTTP, is {@code ops.UploadLifecycleTest}'s.)
 */
class UploadTimeoutsAndPurgeTest {

    static final RepositoryName REPO = new RepositoryName("life/app");
    static final Duration IDLE = Duration.ofSeconds(2);

    UploadServices services;

    @AfterEach
    void stop() {
        if (services != null) {
            services.close();
        }
    }

    @Test
    void thePurgeDeletesStaleUploadsAndSparesLiveUploadsAndBlobs() {
        services = UploadServices.withTimeouts(IDLE, Duration.ofHours(24));
        UploadService uploads = services.uploads;
        services.uploadHolding(REPO, 4096);
        byte[] blob = RandomBytes.randomBytes(10_000);
        Digest digest = pushBlob(blob);
        services.clock.advance(Duration.ofMillis(2500));
        String live = services.uploadHolding(REPO, 100);

        PurgeReport report = services.newPurge().run();

        assertThat(report.ran()).isTrue();
        assertThat(report.deleted()).isEqualTo(1);
        assertThat(report.bytesReclaimed()).isEqualTo(4096);
        assertThat(services.uploadsIn(REPO)).containsExactly(live);
        assertThat(uploads.append(REPO, live, new ByteArrayInputStream(new byte[50]), null, 50).size())
                .as("the live upload takes more data").isEqualTo(150);
        assertThat(services.blobs.find(REPO, digest)).as("the blob pushed before the purge").isPresent();
        assertThat(services.store.readAll(dev.berth.registry.StorePaths.blobData(digest))).isEqualTo(blob);
        // What Berth's metrics count: one run that ran, one upload deleted for being idle.
        assertThat(services.events.purges).extracting(PurgeReport::ran).containsExactly(true);
        assertThat(services.events.expired).containsExactly(UploadExpiry.IDLE);
    }

    @Test
    void anUploadKeptBusyStillExpiresAtItsMaximumAge() {
        services = UploadServices.withTimeouts(Duration.ofHours(1), Duration.ofSeconds(3));
        UploadService uploads = services.uploads;
        String id = uploads.start(REPO).id();

        int accepted = 0;
        RegistryException refused = null;
        while (refused == null) {
            services.clock.advance(Duration.ofMillis(500));
            try {
                uploads.append(REPO, id, new ByteArrayInputStream(new byte[100]), null, 100);
                accepted++;
            } catch (RegistryException e) {
                refused = e;
            }
            assertThat(accepted).as("chunks accepted before the maximum age passed").isLessThan(20);
        }

        assertThat(accepted).as("chunks at 0.5 s, 1 s, ... 3 s: not yet older than the maximum age").isEqualTo(6);
        assertThat(refused.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN);
        assertThat(refused.getMessage()).contains("older than");
        assertThat(services.events.expired).containsExactly(UploadExpiry.MAX_AGE);
    }

    @Test
    void aDryRunCountsStaleUploadsAndDeletesNothing() {
        services = UploadServices.withDryRunPurge(IDLE, Duration.ofHours(24));
        String stale = services.uploadHolding(REPO, 512);
        services.clock.advance(Duration.ofMillis(2500));

        PurgeReport report = services.newPurge().run();

        assertThat(report.ran()).isTrue();
        assertThat(report.dryRun()).isTrue();
        assertThat(report.deleted()).isEqualTo(1);
        assertThat(report.bytesReclaimed()).isEqualTo(512);
        assertThat(services.uploadsIn(REPO)).containsExactly(stale);
        assertThat(services.events.expired).as("nothing expired for real").isEmpty();
    }

    @Test
    void aPurgeWhileAnotherReplicaHoldsTheLeaseIsSkippedAndRunsOnceTheLeaseLapses() {
        services = UploadServices.withTimeouts(IDLE, Duration.ofHours(24));
        String stale = services.uploadHolding(REPO, 256);
        services.clock.advance(Duration.ofMillis(2500));
        // Another replica's lease, as it writes it, valid for an hour.
        services.store.writeIfVersion(dev.berth.registry.StorePaths.PURGE_LOCK, ("{\"owner\":\"another-replica\",\"expiresAt\":\""
                + services.clock.instant().plus(Duration.ofHours(1)) + "\"}").getBytes(StandardCharsets.UTF_8), null);
        UploadPurge purge = services.newPurge();

        PurgeReport skipped = purge.run();

        assertThat(skipped.ran()).isFalse();
        assertThat(services.uploadsIn(REPO)).containsExactly(stale);
        assertThat(services.events.purges).extracting(PurgeReport::ran).containsExactly(false);

        // The other replica died: its lease runs out, and the next purge takes over.
        services.clock.advance(Duration.ofHours(1).plusSeconds(1));
        PurgeReport ran = purge.run();

        assertThat(ran.ran()).isTrue();
        assertThat(ran.deleted()).isEqualTo(1);
        assertThat(services.uploadsIn(REPO)).isEmpty();
        // The lease was this replica's, and it gave the lease back (let it lapse) when done.
        String lease = new String(services.store.readBytes(dev.berth.registry.StorePaths.PURGE_LOCK).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(lease).doesNotContain("another-replica").contains("\"expiresAt\":\"1970-01-01T00:00:00Z\"");
    }

    @Test
    void twoPurgersRunningAtOnceDeleteEachStaleUploadExactlyOnce() throws Exception {
        services = UploadServices.withTimeouts(IDLE, Duration.ofHours(24));
        List<RepositoryName> repositories = List.of(new RepositoryName("life/race0"),
                new RepositoryName("life/race1"), new RepositoryName("life/race2"));
        for (int i = 0; i < 6; i++) {
            services.uploadHolding(repositories.get(i % 3), 100 * (i + 1));
        }
        services.clock.advance(Duration.ofMillis(2500));

        ExecutorService pool = Executors.newFixedThreadPool(2);
        CyclicBarrier together = new CyclicBarrier(2);
        List<Callable<PurgeReport>> purgers = new ArrayList<>();
        for (UploadPurge purge : List.of(services.newPurge(), services.newPurge())) {
            purgers.add(() -> {
                together.await(10, TimeUnit.SECONDS);
                return purge.run();
            });
        }
        int deleted = 0;
        long bytes = 0;
        int ran = 0;
        try {
            for (Future<PurgeReport> report : pool.invokeAll(purgers)) {
                deleted += report.get().deleted();
                bytes += report.get().bytesReclaimed();
                ran += report.get().ran() ? 1 : 0;
            }
        } finally {
            pool.shutdown();
        }

        assertThat(ran).isGreaterThanOrEqualTo(1);
        assertThat(deleted).isEqualTo(6);
        assertThat(bytes).isEqualTo(100 * (1 + 2 + 3 + 4 + 5 + 6));
        for (RepositoryName repository : repositories) {
            assertThat(services.uploadsIn(repository)).isEmpty();
        }
        // What the two replicas' metrics add up to.
        assertThat(services.events.purges.stream().filter(PurgeReport::ran).mapToInt(PurgeReport::deleted).sum())
                .isEqualTo(6);
        assertThat(services.events.expired).hasSize(6);
    }

    @Test
    void theNextChunkOfAnUploadLeftIdleIsToldItExpired() {
        services = UploadServices.withTimeouts(IDLE, Duration.ofHours(24));
        String id = services.uploadHolding(REPO, 1000);
        services.clock.advance(Duration.ofMillis(2500));

        assertThatThrownBy(() -> services.uploads.append(REPO, id, new ByteArrayInputStream(new byte[1000]), null,
                1000)).isInstanceOf(RegistryException.class).hasMessageContaining("expired")
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN);
        assertThat(services.uploadsIn(REPO)).isEmpty();
        assertThat(services.events.expired).containsExactly(UploadExpiry.IDLE);
    }

    private Digest pushBlob(byte[] blob) {
        Digest digest = Digest.parse(Sha256.digest(blob));
        String id = services.uploads.start(REPO).id();
        services.uploads.complete(REPO, id, digest, new ByteArrayInputStream(blob), blob.length);
        return digest;
    }
}
