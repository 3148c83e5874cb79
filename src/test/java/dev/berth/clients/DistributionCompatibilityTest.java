package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Berth's filesystem store is CNCF Distribution's layout: what one wrote, the other serves. The first cases
 * push with skopeo through one registry, stop it, start the other on the same directory and copy the image
 * back out byte for byte; the garbage collection cases check that each registry's collector deletes what the
 * other would, and no more.
 */
@Timeout(120)
class DistributionCompatibilityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path work;

    @BeforeAll
    static void tools() {
        Commands.requireExecutable("/usr/bin/skopeo");
        Commands.requireExecutable(Commands.DOCKER_REGISTRY);
    }

    @Test
    void distributionServesWhatBerthWrote() {
        Path root = work.resolve("store-a");
        Path source = work.resolve("a-in");
        String name = "e2e/berth-wrote-" + Commands.randomSuffix();
        OciLayouts.Image image = OciLayouts.write(source, "v1", new Random(), 1024 * 1024 + 17);

        try (Commands.Registry berth = Commands.startRegistryUnderTest(root, work.resolve("a-berth"))) {
            OciLayouts.pushWithSkopeo(source, "v1", berth.hostAndPort() + "/" + name + ":v1");
        }

        try (Commands.Distribution distribution = Commands.Distribution.start(root, work.resolve("a-distribution"))) {
            String repository = distribution.hostAndPort() + "/" + name;
            assertThat(OciLayouts.listTags(repository)).as("tags docker-registry lists").containsExactly("v1");
            assertThat(OciLayouts.inspectDigest(repository + ":v1")).as("digest docker-registry serves")
                    .isEqualTo(image.digest());
            Path out = work.resolve("a-out");
            OciLayouts.pullWithSkopeo(repository + ":v1", out, "v1");
            OciLayouts.assertSameImage(image, OciLayouts.read(out, "v1"));
            Path outByDigest = work.resolve("a-out-digest");
            OciLayouts.pullWithSkopeo(repository + "@" + image.digest(), outByDigest, "v1");
            OciLayouts.assertSameImage(image, OciLayouts.read(outByDigest, "v1"));
        }
    }

    @Test
    void berthServesWhatDistributionWrote() {
        Path root = work.resolve("store-b");
        Path source = work.resolve("b-in");
        String name = "e2e/distribution-wrote-" + Commands.randomSuffix();
        OciLayouts.Image image = OciLayouts.write(source, "v1", new Random(), 1024 * 1024 + 33);

        try (Commands.Distribution distribution = Commands.Distribution.start(root, work.resolve("b-distribution"))) {
            String repository = distribution.hostAndPort() + "/" + name;
            OciLayouts.pushWithSkopeo(source, "v1", repository + ":v1");
            OciLayouts.pushWithSkopeo(source, "v1", repository + ":stable");
        }

        try (Commands.Registry berth = Commands.startRegistryUnderTest(root, work.resolve("b-berth"))) {
            String repository = berth.hostAndPort() + "/" + name;
            assertThat(OciLayouts.listTags(repository)).as("tags %s lists", berth.kind())
                    .containsExactlyInAnyOrder("v1", "stable");
            assertThat(OciLayouts.inspectDigest(repository + ":stable")).as("digest %s serves", berth.kind())
                    .isEqualTo(image.digest());
            Path out = work.resolve("b-out");
            OciLayouts.pullWithSkopeo(repository + ":v1", out, "v1");
            OciLayouts.assertSameImage(image, OciLayouts.read(out, "v1"));
            Path outByDigest = work.resolve("b-out-digest");
            OciLayouts.pullWithSkopeo(repository + "@" + image.digest(), outByDigest, "v1");
            OciLayouts.assertSameImage(image, OciLayouts.read(outByDigest, "v1"));
        }
    }

    /**
     * What Berth's garbage collection leaves, Distribution agrees with: after Berth collected (no grace time)
     * a store holding images that share a layer, an index, a referrer and a deleted manifest, Distribution
     * serves every image left, and its own collector finds nothing more to delete.
     */
    @Test
    void distributionFindsNothingMoreToCollectAfterBerthCollected() {
        Path root = work.resolve("store-c");
        CollectableImages images;
        try (BerthServer berth = BerthServer.startOnFilesystem(root, "--berth.gc.grace=0s", "--berth.gc.settle=0s")) {
            images = CollectableImages.push(berth, "e2e/gc-" + Commands.randomSuffix());
            HttpResponse<String> report = Http.sendText("POST", berth.managementUri("/actuator/garbagecollect"), null);
            assertThat(report.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(report.body()).path("deleted").asInt())
                    .as("the deleted image's config, layer and manifest: %s", report.body()).isEqualTo(3);
        }

        try (Commands.Distribution distribution = Commands.Distribution.start(root, work.resolve("c-distribution"))) {
            images.assertKeptServed(distribution.hostAndPort(), "docker-registry");
            images.assertDeletedGone(distribution.hostAndPort(), "docker-registry");
        }
        Commands.Distribution.Collection dryRun = Commands.Distribution.garbageCollect(root, work.resolve("c-gc"), true);
        assertThat(dryRun.eligibleBlobs()).as("blobs docker-registry garbage-collect --dry-run would delete\n%s",
                dryRun.output()).isZero();
        assertThat(dryRun.markedBlobs()).as("blobs docker-registry marks live").isEqualTo(images.keptBlobs().size());
    }

    /**
     * The other way round: Distribution's own garbage collector, run on a store Berth wrote, deletes only what
     * no manifest references, and Berth still serves every image (and knows the collected blobs are gone).
     */
    @Test
    void berthServesItsImagesAfterDistributionCollected() {
        Path root = work.resolve("store-d");
        CollectableImages images;
        try (BerthServer berth = BerthServer.startOnFilesystem(root)) {
            images = CollectableImages.push(berth, "e2e/gc-" + Commands.randomSuffix());
        }

        Commands.Distribution.Collection collected = Commands.Distribution.garbageCollect(root, work.resolve("d-gc"), false);
        assertThat(collected.eligibleBlobs()).as("the deleted image's config, layer and manifest\n%s",
                collected.output()).isEqualTo(3);

        try (BerthServer berth = BerthServer.startOnFilesystem(root)) {
            images.assertKeptServed(berth.hostAndPort(), "berth");
            images.assertDeletedGone(berth.hostAndPort(), "berth");
        }
    }
}
