package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients pulling through Berth's pull-through cache: the Docker daemon by prefix from a Berth upstream,
 * skopeo by prefix from CNCF Distribution ({@code docker-registry}), and skopeo from a mirror (no prefix, the
 * paths the Docker daemon's {@code registry-mirrors} uses).
 */
@Timeout(240)
class PullThroughCacheClientsTest {

    private static final Duration TRANSFER = Duration.ofSeconds(90);

    @TempDir
    static Path work;
    static BerthServer upstream;
    static Commands.Distribution distribution;
    static BerthServer cache;
    static BerthServer mirror;
    static final List<String> createdReferences = new ArrayList<>();

    @BeforeAll
    static void start() {
        Commands.requireExecutable("/usr/bin/skopeo");
        Commands.requireExecutable(Commands.DOCKER_REGISTRY);
        upstream = BerthServer.startOnFilesystem(work.resolve("upstream"));
        distribution = Commands.Distribution.start(work.resolve("distribution"), work.resolve("distribution-work"));
        cache = BerthServer.startOnFilesystem(work.resolve("cache"),
                "--berth.proxy.rules[0].prefix=hub", "--berth.proxy.rules[0].upstream=http://" + upstream.hostAndPort(),
                "--berth.proxy.rules[1].prefix=dist",
                "--berth.proxy.rules[1].upstream=http://" + distribution.hostAndPort());
        mirror = BerthServer.startOnFilesystem(work.resolve("mirror"),
                "--berth.proxy.mirror.upstream=http://" + upstream.hostAndPort());
    }

    @AfterAll
    static void stop() {
        try {
            for (String reference : createdReferences) {
                Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", reference);
            }
        } finally {
            for (AutoCloseable server : new AutoCloseable[] {mirror, cache, distribution, upstream}) {
                if (server != null) {
                    try {
                        server.close();
                    } catch (Exception e) {
                        // the next one still closes
                    }
                }
            }
        }
    }

    @Test
    void dockerPullsThroughThePrefix() throws IOException {
        Commands.requireDockerDaemon();
        String suffix = Commands.randomSuffix();
        String atUpstream = upstream.hostAndPort() + "/library/app-" + suffix + ":v1";
        String throughCache = cache.hostAndPort() + "/hub/library/app-" + suffix + ":v1";
        createdReferences.addAll(List.of(atUpstream, throughCache));
        String imageId = build(work.resolve("context"), atUpstream, suffix);
        createdReferences.add(imageId);
        Commands.docker(TRANSFER, "push", atUpstream);
        Commands.docker(Duration.ofSeconds(30), "rmi", "-f", imageId);

        Commands.docker(TRANSFER, "pull", throughCache);
        assertThat(Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", throughCache))
                .as("the image pulled through the cache").isEqualTo(imageId);

        // Again: now every layer comes from the cache's store.
        Commands.docker(Duration.ofSeconds(30), "rmi", "-f", imageId);
        Commands.docker(TRANSFER, "pull", throughCache);
        assertThat(Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", throughCache))
                .isEqualTo(imageId);
    }

    @Test
    void skopeoCopiesFromDistributionThroughThePrefix() {
        String name = "e2e/from-distribution-" + Commands.randomSuffix();
        OciLayouts.Image image = OciLayouts.write(work.resolve("dist-in"), "v1", new Random(), 512 * 1024 + 7);
        OciLayouts.pushWithSkopeo(work.resolve("dist-in"), "v1", distribution.hostAndPort() + "/" + name + ":v1");

        Path out = work.resolve("dist-out");
        OciLayouts.pullWithSkopeo(cache.hostAndPort() + "/dist/" + name + ":v1", out, "v1");
        OciLayouts.assertSameImage(image, OciLayouts.read(out, "v1"));
        assertThat(OciLayouts.inspectDigest(cache.hostAndPort() + "/dist/" + name + ":v1")).isEqualTo(image.digest());
    }

    @Test
    void skopeoCopiesFromAMirrorWithoutAPrefix() {
        String name = "library/mirrored-" + Commands.randomSuffix();
        OciLayouts.Image image = OciLayouts.write(work.resolve("mirror-in"), "v1", new Random(), 256 * 1024 + 3);
        OciLayouts.pushWithSkopeo(work.resolve("mirror-in"), "v1", upstream.hostAndPort() + "/" + name + ":v1");

        Path out = work.resolve("mirror-out");
        OciLayouts.pullWithSkopeo(mirror.hostAndPort() + "/" + name + ":v1", out, "v1");
        OciLayouts.assertSameImage(image, OciLayouts.read(out, "v1"));
        Path byDigest = work.resolve("mirror-out-digest");
        OciLayouts.pullWithSkopeo(mirror.hostAndPort() + "/" + name + "@" + image.digest(), byDigest, "v1");
        OciLayouts.assertSameImage(image, OciLayouts.read(byDigest, "v1"));
    }

    /** A FROM-scratch image of two COPY layers, one of a few hundred KiB of random bytes; returns its ID. */
    private static String build(Path context, String tag, String suffix) throws IOException {
        Files.createDirectories(context);
        byte[] random = new byte[300 * 1024];
        new Random().nextBytes(random);
        Files.writeString(context.resolve("hello.txt"), "hello through the cache " + suffix + "\n");
        Files.write(context.resolve("random.bin"), random);
        Files.writeString(context.resolve("Dockerfile"), String.join("\n",
                "FROM scratch",
                "COPY hello.txt /data/hello.txt",
                "COPY random.bin /data/random.bin",
                "CMD [\"/data/hello.txt\"]",
                ""), StandardCharsets.UTF_8);
        String id = Commands.docker(Duration.ofSeconds(90), "build", "--force-rm", "-q", "-t", tag, context.toString());
        String[] lines = id.split("\\R");
        return lines[lines.length - 1].trim();
    }
}
