package dev.berth.registry.gc;

import static dev.berth.registry.gc.GcServices.imageManifest;
import static dev.berth.registry.gc.GcServices.index;
import static dev.berth.registry.gc.GcServices.referrer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.gc.GcServices.Blob;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a garbage collection run deletes and what it keeps, with no push racing it (those races are
 * {@link GcRaceTest}'s): on a store in memory, with a clock the test moves past the grace time.
 */
class GarbageCollectorTest {

    static final RepositoryName APP = new RepositoryName("gc/app");
    static final RepositoryName OTHER = new RepositoryName("gc/other");

    final GcServices services = new GcServices();

    @AfterEach
    void stop() {
        services.close();
    }

    @Test
    void aRunWithNothingToCollectDoesNotWaitOutTheSettleTime() {
        services.pushImage(APP, "v1", Blob.random(100), Blob.random(200));
        services.ageEverything();
        java.time.Instant before = services.clock.instant();

        GcReport report = services.collector().run();

        assertThat(report.ran()).isTrue();
        assertThat(report.candidates()).isZero();
        assertThat(services.clock.instant()).as("no settle time passed").isEqualTo(before);
    }

    @Test
    void anUnreferencedOldBlobGoesWithItsRepositoryLinksAndEverythingReferencedOrYoungStays() {
        Blob config = Blob.random(200);
        Blob layer = Blob.random(3000);
        Blob image = services.pushImage(APP, "v1", config, layer);
        Blob orphan = services.push(APP, Blob.random(1000));
        services.blobs.mount(OTHER, APP, orphan.digest());
        Blob goneConfig = Blob.random(300);
        Blob goneLayer = Blob.random(4000);
        Blob gone = services.pushImage(APP, "old", goneConfig, goneLayer);
        services.manifests.delete(APP, gone.digest().toString());
        services.ageEverything();
        Blob young = services.push(APP, Blob.random(500));

        GcReport report = services.collector().run();

        assertThat(report.ran()).isTrue();
        assertThat(report.dryRun()).isFalse();
        assertThat(report.manifests()).isEqualTo(1);
        assertThat(report.blobsMarked()).as("the image's manifest, config and layer").isEqualTo(3);
        assertThat(report.candidates()).isEqualTo(4);
        assertThat(report.deleted()).isEqualTo(4);
        assertThat(report.bytesReclaimed()).isEqualTo(1000 + 300 + 4000 + gone.content().length);
        assertThat(report.rescued()).isZero();
        for (Blob deleted : List.of(orphan, goneConfig, goneLayer, gone)) {
            assertThat(services.stored(deleted)).as("data of %s", deleted.digest()).isFalse();
            assertThat(services.blobs.find(APP, deleted.digest())).as("HEAD of %s", deleted.digest()).isEmpty();
        }
        assertThat(services.store.stat(StorePaths.layerLink(APP, orphan.digest()))).isEmpty();
        assertThat(services.store.stat(StorePaths.layerLink(OTHER, orphan.digest()))).as("the mounted link")
                .isEmpty();
        for (Blob kept : List.of(config, layer, image, young)) {
            assertThat(services.readable(APP, kept)).as("%s stays readable", kept.digest()).isTrue();
        }
        assertThat(services.manifests.get(APP, "v1", List.of()).digest()).isEqualTo(image.digest());
        assertThat(services.markers()).as("markers left behind").isEmpty();
        assertThat(services.reports).containsExactly(report);
    }

    @Test
    void anIndexKeepsItsChildrenAndTheirBlobsAndReferrersKeepTheirOwnButNotTheirSubject() {
        Blob childConfig = Blob.random(100);
        Blob childLayer = Blob.random(2000);
        services.push(APP, childConfig);
        services.push(APP, childLayer);
        Blob child = imageManifest(childConfig, childLayer);
        services.putManifest(APP, child.digest().toString(), child);
        Blob multi = index(child);
        services.putManifest(APP, "multi", multi);
        // The child is reachable only through the index now.
        services.manifests.delete(APP, child.digest().toString());

        Blob subjectLayer = Blob.random(1500);
        Blob subject = services.pushImage(APP, "signed", Blob.random(120), subjectLayer);
        Blob signatureConfig = services.push(APP, Blob.random(90));
        Blob signatureLayer = services.push(APP, Blob.random(700));
        Blob signature = referrer(subject, signatureConfig, signatureLayer);
        services.putManifest(APP, signature.digest().toString(), signature);
        services.manifests.delete(APP, subject.digest().toString());
        services.ageEverything();

        GcReport report = services.collector().run();

        for (Blob kept : List.of(multi, child, childConfig, childLayer, signature, signatureConfig, signatureLayer)) {
            assertThat(services.stored(kept)).as("%s stays", kept.digest()).isTrue();
        }
        assertThat(services.readable(APP, childLayer)).isTrue();
        assertThat(services.stored(subject)).as("a referrer does not keep its subject").isFalse();
        assertThat(services.stored(subjectLayer)).isFalse();
        assertThat(report.deleted()).as("the subject, its config and its layer").isEqualTo(3);
    }

    @Test
    void aManifestBerthWouldNotAcceptTodayStillKeepsItsBlobs() {
        // A schema 1 manifest, as registry:2 may have left in a store Berth now serves.
        Blob layer = services.push(APP, Blob.random(800));
        Blob schema1 = Blob.of(("{\"schemaVersion\":1,\"name\":\"gc/app\",\"tag\":\"v0\",\"fsLayers\":[{\"blobSum\":\""
                + layer.digest() + "\"}]}").getBytes(StandardCharsets.UTF_8));
        services.store.writeBytes(StorePaths.blobData(schema1.digest()), schema1.content());
        services.store.writeBytes(StorePaths.manifestRevisionLink(APP, schema1.digest()),
                schema1.digest().toString().getBytes(StandardCharsets.UTF_8));
        services.ageEverything();

        GcReport report = services.collector().run();

        assertThat(report.deleted()).isZero();
        assertThat(services.readable(APP, layer)).isTrue();
    }

    @Test
    void aDryRunReportsWhatItWouldDeleteAndWritesNothing() {
        Blob image = services.pushImage(APP, "v1", Blob.random(100), Blob.random(1000));
        Blob orphan = services.push(APP, Blob.random(2500));
        services.ageEverything();

        GcReport report = services.dryRun().run();

        assertThat(report.ran()).isTrue();
        assertThat(report.dryRun()).isTrue();
        assertThat(report.candidates()).isEqualTo(1);
        assertThat(report.deleted()).isEqualTo(1);
        assertThat(report.bytesReclaimed()).isEqualTo(2500);
        assertThat(services.readable(APP, orphan)).isTrue();
        assertThat(services.readable(APP, image)).isTrue();
        assertThat(services.markers()).isEmpty();
    }

    @Test
    void oneReplicaCollectsAtATimeAndGivesTheLeaseUpAfterwards() {
        services.push(APP, Blob.random(100));
        services.ageEverything();
        GarbageCollector otherReplica = services.collector();
        AtomicReference<GcReport> meanwhile = new AtomicReference<>();

        GcReport report = services.collector(new GcSteps() {
            @Override
            public void condemned(Set<Digest> candidates) {
                meanwhile.set(otherReplica.run());
            }
        }).run();

        assertThat(report.ran()).isTrue();
        assertThat(report.deleted()).isEqualTo(1);
        assertThat(meanwhile.get().ran()).as("the other replica's run while the lease was held").isFalse();
        assertThat(otherReplica.run().ran()).as("after the run gave the lease up").isTrue();
    }

    @Test
    void aRunLeavesItsReportForEveryReplicaAndARunSkippedForTheLeaseDoesNotReplaceIt() {
        LastGcReport last = new LastGcReport(services.store, services.documents, GcServices.JSON);
        assertThat(last.read()).as("before any run").isEmpty();
        services.pushImage(APP, "v1", Blob.random(100), Blob.random(1000));
        Blob orphan = services.push(APP, Blob.random(2500));
        services.ageEverything();
        GarbageCollector otherReplica = services.collector();
        AtomicReference<GcReport> skipped = new AtomicReference<>();
        AtomicReference<Optional<GcReport>> lastAfterSkipped = new AtomicReference<>();

        GcReport dry = services.collector(new GcSteps() {
            @Override
            public void condemned(Set<Digest> candidates) {
                throw new AssertionError("a dry run condemns nothing");
            }
        }).run(true);
        GcReport report = services.collector(new GcSteps() {
            @Override
            public void condemned(Set<Digest> candidates) {
                skipped.set(otherReplica.run());
                lastAfterSkipped.set(last.read());
            }
        }).run();

        assertThat(dry.dryRun()).as("asked for, though berth.gc.dry-run is false").isTrue();
        assertThat(dry.deleted()).isEqualTo(1);
        assertThat(skipped.get().ran()).isFalse();
        assertThat(lastAfterSkipped.get()).as("after the skipped run").contains(dry);
        assertThat(report.dryRun()).isFalse();
        assertThat(services.stored(orphan)).isFalse();
        assertThat(last.read()).as("the run's report, not the skipped one's").contains(report);
    }
}
