package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Berth's filesystem store is CNCF Distribution's layout: what one wrote, the other serves. Each case
 * pushes with skopeo through one registry, stops it, starts the other on the same directory and copies
 * the image back out byte for byte.
 */
@Timeout(120)
class DistributionCompatibilityTest {

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
}
