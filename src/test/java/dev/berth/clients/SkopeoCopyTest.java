package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo (containers/image, the client behind podman and buildah) pushes a hand-made OCI image to the
 * registry and copies it back out: every byte must survive, digests included.
 */
@Timeout(120)
class SkopeoCopyTest {

    @TempDir
    static Path work;

    static Commands.Registry registry;

    @BeforeAll
    static void startRegistry() {
        Commands.requireExecutable("/usr/bin/skopeo");
        registry = Commands.startRegistryUnderTest(work.resolve("store"), work.resolve("registry"));
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void ociImageRoundTripsByteForByte() {
        String repository = registry.hostAndPort() + "/e2e/skopeo-" + Commands.randomSuffix();
        Path source = work.resolve("layout-in");
        Path copy = work.resolve("layout-out");
        OciLayouts.Image image = OciLayouts.write(source, "v1", new Random(), 2 * 1024 * 1024 + 123);

        OciLayouts.pushWithSkopeo(source, "v1", repository + ":v1");

        assertThat(OciLayouts.inspectDigest(repository + ":v1")).as("skopeo inspect digest on %s", registry.kind())
                .isEqualTo(image.digest());
        assertThat(OciLayouts.inspectRaw(repository + ":v1")).as("manifest served for the tag")
                .isEqualTo(new String(image.manifest().bytes(), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(OciLayouts.listTags(repository)).as("skopeo list-tags on %s", registry.kind()).contains("v1");

        OciLayouts.pullWithSkopeo(repository + ":v1", copy, "v1");
        OciLayouts.assertSameImage(image, OciLayouts.read(copy, "v1"));

        // And by digest: the same bytes again.
        Path byDigest = work.resolve("layout-by-digest");
        OciLayouts.pullWithSkopeo(repository + "@" + image.digest(), byDigest, "v1");
        OciLayouts.assertSameImage(image, OciLayouts.read(byDigest, "v1"));
    }

    @Test
    void secondTagOfSameManifestIsListedAndResolvesToSameDigest() {
        String repository = registry.hostAndPort() + "/e2e/skopeo-tags-" + Commands.randomSuffix();
        Path source = work.resolve("layout-tags");
        OciLayouts.Image image = OciLayouts.write(source, "v1", new Random(), 64 * 1024);

        OciLayouts.pushWithSkopeo(source, "v1", repository + ":v1");
        OciLayouts.pushWithSkopeo(source, "v1", repository + ":latest");

        assertThat(OciLayouts.listTags(repository)).containsExactlyInAnyOrder("v1", "latest");
        assertThat(OciLayouts.inspectDigest(repository + ":latest")).isEqualTo(image.digest());
    }
}
