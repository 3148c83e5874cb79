package dev.berth.registry.gc;

import static dev.berth.registry.gc.GcServices.imageManifest;
import static dev.berth.registry.gc.GcServices.index;
import static dev.berth.registry.gc.GcServices.putManifest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.gc.GcServices.Blob;
import dev.berth.registry.manifest.ManifestService;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pushes interleaved with a garbage collection run at its dangerous moments (after it condemned its
 * candidates, after it claimed one), through the seam the collector calls between its steps, and runs that
 * die part-way: whatever the interleaving, a manifest that was accepted has every blob it references, and a
 * dead run's markers block no push.
 */
class GcRaceTest {

    static final RepositoryName APP = new RepositoryName("race/app");
    static final RepositoryName OTHER = new RepositoryName("race/other");

    final GcServices services = new GcServices();

    @AfterEach
    void stop() {
        services.close();
    }

    /** An image pushed and deleted long ago: its layer and config are old, unreferenced blobs in {@code APP}. */
    Blob oldUnreferencedLayer() {
        Blob layer = Blob.random(2000);
        deletedLongAgo(Blob.random(100), layer);
        return layer;
    }

    /** An image of {@code config} and {@code layer} pushed and deleted long ago; its manifest. */
    Blob deletedLongAgo(Blob config, Blob layer) {
        Blob image = services.pushImage(APP, "old", config, layer);
        services.manifests.delete(APP, image.digest().toString());
        services.ageEverything();
        return image;
    }

    /** A collector that runs {@code step} once it has condemned its candidates. */
    GarbageCollector afterCondemn(Runnable step) {
        return services.collector(new GcSteps() {
            @Override
            public void condemned(Set<Digest> candidates) {
                step.run();
            }
        });
    }

    /** A collector that runs {@code step} right after it claimed {@code blob}, before deleting it. */
    GarbageCollector afterClaimOf(Blob blob, Runnable step) {
        return services.collector(new GcSteps() {
            @Override
            public void claimed(Digest digest) {
                if (digest.equals(blob.digest())) {
                    step.run();
                }
            }
        });
    }

    /**
     * Runs the collector with a manifest push that makes its checks right after the condemn and writes the
     * manifest only once the run is over: past the second mark, so only the push's rescue can keep its blobs.
     */
    GcReport runWithAPushHeldAcrossTheClaims(RepositoryName repository, String reference, Blob manifest,
            Runnable before) throws Exception {
        CountDownLatch checked = new CountDownLatch(1);
        CountDownLatch write = new CountDownLatch(1);
        ManifestService held = services.manifestsPausingBeforeTheirWrite(checked, write);
        AtomicReference<CompletableFuture<Digest>> push = new AtomicReference<>();
        GcReport report = afterCondemn(() -> {
            before.run();
            push.set(CompletableFuture.supplyAsync(() -> putManifest(held, repository, reference, manifest)));
            await(checked);
        }).run();
        assertThat(push.get()).as("the push still waits to write").isNotDone();
        write.countDown();
        assertThat(push.get().get(10, TimeUnit.SECONDS)).isEqualTo(manifest.digest());
        return report;
    }

    static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aBlobUploadedAgainAndItsManifestPushedDuringTheRunStay() {
        Blob layer = oldUnreferencedLayer();
        Blob config = Blob.random(150);
        Blob fresh = Blob.random(900);
        AtomicReference<Blob> manifest = new AtomicReference<>();

        GcReport report = afterCondemn(() -> manifest.set(services.pushImage(APP, "v1", config, layer, fresh))).run();

        assertThat(report.rescued()).as("the layer, uploaded again and referenced").isEqualTo(1);
        for (Blob blob : List.of(manifest.get(), config, layer, fresh)) {
            assertThat(services.readable(APP, blob)).as("%s", blob.digest()).isTrue();
        }
        assertThat(services.markers()).isEmpty();
    }

    @Test
    void aClientThatFoundTheBlobBeforeTheClaimPushesItsManifestAndTheBlobIsRescued() throws Exception {
        Blob layer = oldUnreferencedLayer();
        assertThat(services.blobs.find(APP, layer.digest())).as("the client's HEAD finds the layer").isPresent();
        Blob config = services.push(APP, Blob.random(150));
        Blob manifest = imageManifest(config, layer);

        GcReport report = runWithAPushHeldAcrossTheClaims(APP, "v1", manifest, () -> { });

        assertThat(report.rescued()).isEqualTo(1);
        assertThat(report.deleted()).as("the old config and manifest").isEqualTo(report.candidates() - 1);
        assertThat(services.readable(APP, layer)).isTrue();
        assertThat(services.manifests.get(APP, "v1", List.of()).digest()).isEqualTo(manifest.digest());
        assertThat(services.markers()).isEmpty();
    }

    @Test
    void aManifestPushedAfterTheClaimIsRefusedAndAcceptedOnceTheBlobIsPushedAgain() {
        Blob layer = oldUnreferencedLayer();
        Blob config = services.push(APP, Blob.random(150));
        Blob manifest = imageManifest(config, layer);
        AtomicReference<Throwable> refusal = new AtomicReference<>();

        afterClaimOf(layer, () -> {
            assertThat(services.blobs.find(APP, layer.digest())).as("the client's HEAD still finds it").isPresent();
            refusal.set(catchThrowable(() -> services.putManifest(APP, "v1", manifest)));
        }).run();

        assertThat(refusal.get()).isInstanceOf(RegistryException.class);
        assertThat(((RegistryException) refusal.get()).code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN);
        assertThat(refusal.get()).hasMessageContaining("garbage-collected");
        assertThat(services.blobs.find(APP, layer.digest())).as("HEAD after the run").isEmpty();
        services.push(APP, layer);
        services.putManifest(APP, "v1", manifest);
        assertThat(services.readable(APP, layer)).isTrue();
        assertThat(services.readable(APP, config)).isTrue();
        assertThat(services.manifests.get(APP, "v1", List.of()).digest()).isEqualTo(manifest.digest());
    }

    @Test
    void aPushSlowerThanTheSettleTimeWhoseBlobWasCollectedMeanwhileIsRefusedNotAcceptedBroken() throws Exception {
        Blob layer = oldUnreferencedLayer();
        Blob config = services.push(APP, Blob.random(150));
        Blob manifest = imageManifest(config, layer);
        CountDownLatch checked = new CountDownLatch(1);
        CountDownLatch write = new CountDownLatch(1);
        ManifestService held = services.manifestsPausingBeforeTheirWrite(checked, write);
        // The push checks its blobs before the run condemns anything, and writes only after the run is over.
        CompletableFuture<Digest> push = CompletableFuture.supplyAsync(() -> putManifest(held, APP, "v1", manifest));
        await(checked);

        GcReport report = services.collector().run();
        write.countDown();

        assertThat(report.deleted()).as("the run saw no manifest referencing the layer").isPositive();
        assertThat(services.stored(layer)).isFalse();
        assertThatThrownBy(() -> push.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(RegistryException.class)
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN);
        assertThat(services.manifests.find(APP, manifest.digest())).as("the broken manifest was withdrawn").isEmpty();
        assertThat(services.store.stat(StorePaths.tagCurrentLink(APP, "v1"))).isEmpty();
        services.push(APP, layer);
        services.putManifest(APP, "v1", manifest);
        assertThat(services.readable(APP, layer)).isTrue();
    }

    @Test
    void aPushSlowerThanTheSettleTimeWithNothingCollectedIsAccepted() throws Exception {
        Blob config = services.push(APP, Blob.random(150));
        Blob layer = services.push(APP, Blob.random(800));
        Blob manifest = imageManifest(config, layer);
        CountDownLatch checked = new CountDownLatch(1);
        CountDownLatch write = new CountDownLatch(1);
        ManifestService held = services.manifestsPausingBeforeTheirWrite(checked, write);
        CompletableFuture<Digest> push = CompletableFuture.supplyAsync(() -> putManifest(held, APP, "v1", manifest));
        await(checked);

        services.clock.advance(GcServices.SETTLE);
        write.countDown();

        assertThat(push.get(10, TimeUnit.SECONDS)).isEqualTo(manifest.digest());
        assertThat(services.manifests.get(APP, "v1", List.of()).digest()).isEqualTo(manifest.digest());
    }

    @Test
    void anUploadCommittedWhileItsBlobIsBeingDeletedWaitsAndStoresItAnew() throws Exception {
        Blob layer = oldUnreferencedLayer();
        AtomicReference<CompletableFuture<Blob>> upload = new AtomicReference<>();

        afterClaimOf(layer, () -> {
            upload.set(CompletableFuture.supplyAsync(() -> services.push(APP, layer)));
            assertThatThrownBy(() -> upload.get().get(300, TimeUnit.MILLISECONDS))
                    .as("the commit waits while the blob is being deleted")
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
        }).run();

        upload.get().get(10, TimeUnit.SECONDS);
        assertThat(services.readable(APP, layer)).as("composed again once the deletion finished").isTrue();
    }

    @Test
    void aMountDuringTheRunRescuesTheBlobAndAMountAfterTheClaimFallsBackToAnUpload() {
        Blob rescued = oldUnreferencedLayer();
        Blob claimed = services.push(APP, Blob.random(700));
        services.ageEverything();
        Blob config = services.push(OTHER, Blob.random(100));
        AtomicReference<Boolean> mountedAfterClaim = new AtomicReference<>();

        GcReport report = services.collector(new GcSteps() {
            @Override
            public void condemned(Set<Digest> candidates) {
                assertThat(services.blobs.mount(OTHER, APP, rescued.digest())).isPresent();
            }

            @Override
            public void claimed(Digest digest) {
                if (digest.equals(claimed.digest())) {
                    mountedAfterClaim.set(services.blobs.mount(OTHER, APP, claimed.digest()).isPresent());
                }
            }
        }).run();
        services.putManifest(OTHER, "v1", imageManifest(config, rescued));

        assertThat(report.rescued()).isEqualTo(1);
        assertThat(services.readable(OTHER, rescued)).isTrue();
        assertThat(mountedAfterClaim.get()).as("a mount of a claimed blob").isFalse();
        assertThat(services.stored(claimed)).isFalse();
        assertThat(services.store.stat(StorePaths.layerLink(OTHER, claimed.digest()))).isEmpty();
    }

    @Test
    void reTaggingAnOldDigestDuringTheRunKeepsTheManifestAndItsBlobs() throws Exception {
        Blob config = Blob.random(100);
        Blob layer = Blob.random(1200);
        Blob image = deletedLongAgo(config, layer);

        GcReport report = runWithAPushHeldAcrossTheClaims(APP, "v2", image, () -> { });

        assertThat(report.deleted()).isZero();
        assertThat(report.rescued()).as("the manifest, its config and its layer").isEqualTo(3);
        assertThat(services.manifests.get(APP, "v2", List.of()).digest()).isEqualTo(image.digest());
        for (Blob blob : List.of(image, config, layer)) {
            assertThat(services.readable(APP, blob)).as("%s", blob.digest()).isTrue();
        }
    }

    @Test
    void anIndexPushedAfterTheCondemnKeepsItsChildrenPushedJustBefore() throws Exception {
        Blob config = Blob.random(100);
        Blob layer = Blob.random(1100);
        Blob child = deletedLongAgo(config, layer);
        Blob multi = index(child);

        // The child's revision is written before the second mark; the index only after the claims.
        runWithAPushHeldAcrossTheClaims(APP, "multi", multi,
                () -> services.putManifest(APP, child.digest().toString(), child));

        for (Blob blob : List.of(multi, child, config, layer)) {
            assertThat(services.readable(APP, blob)).as("%s", blob.digest()).isTrue();
        }
        assertThat(services.manifests.get(APP, "multi", List.of()).digest()).isEqualTo(multi.digest());
    }

    @Test
    void aRunKilledAfterItsClaimIsFinishedByTheNextAndItsOtherMarkersBlockNoPush() {
        Blob first = services.push(APP, Blob.random(500));
        Blob second = services.push(APP, Blob.random(600));
        services.ageEverything();
        // Claims run side by side: only the first may claim; the replica dies right after it, before any other.
        AtomicBoolean oneClaimed = new AtomicBoolean();
        GarbageCollector dying = services.collector(new GcSteps() {
            @Override
            public void claiming(Digest digest) {
                if (oneClaimed.getAndSet(true)) {
                    throw new IllegalStateException("the replica dies");
                }
            }

            @Override
            public void claimed(Digest digest) {
                throw new IllegalStateException("the replica dies");
            }
        });

        assertThatThrownBy(dying::run).hasMessageContaining("dies");

        assertThat(services.failures.get()).isEqualTo(1);
        Blob claimed = services.marker(first).orElseThrow().marker().state() == BlobMarkers.State.DELETING ? first
                : second;
        Blob condemned = claimed == first ? second : first;
        assertThat(services.marker(condemned).orElseThrow().marker().state()).isEqualTo(BlobMarkers.State.CONDEMNED);
        Blob config = services.push(APP, Blob.random(100));
        assertThatThrownBy(() -> services.putManifest(APP, "claimed", imageManifest(config, claimed)))
                .isInstanceOf(RegistryException.class)
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN);
        services.putManifest(APP, "condemned", imageManifest(config, condemned));
        assertThat(services.marker(condemned).orElseThrow().marker().state())
                .as("a dead run's condemned marker, rescued by the push").isEqualTo(BlobMarkers.State.RESCUED);

        GcReport next = services.collector().run();

        assertThat(next.ran()).as("the dead run's lease was given up").isTrue();
        assertThat(services.stored(claimed)).isFalse();
        assertThat(services.store.stat(StorePaths.layerLink(APP, claimed.digest()))).isEmpty();
        assertThat(services.readable(APP, condemned)).isTrue();
        assertThat(services.markers()).isEmpty();
    }

    @Test
    void aRunKilledAfterItsCondemnLeavesMarkersThePushesAndTheNextRunGetPast() {
        Blob reused = oldUnreferencedLayer();
        GarbageCollector dying = afterCondemn(() -> {
            throw new IllegalStateException("the replica dies");
        });
        assertThatThrownBy(dying::run).hasMessageContaining("dies");
        assertThat(services.marker(reused)).isPresent();

        Blob image = services.pushImage(APP, "v1", Blob.random(100), reused);
        services.ageEverything();
        GcReport next = services.collector().run();

        assertThat(next.deleted()).as("the old config, the old manifest").isEqualTo(2);
        assertThat(services.readable(APP, image)).isTrue();
        assertThat(services.readable(APP, reused)).isTrue();
        assertThat(services.markers()).isEmpty();
    }

    private static Throwable catchThrowable(Runnable action) {
        try {
            action.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }
}
