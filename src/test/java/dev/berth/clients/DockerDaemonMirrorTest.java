package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Docker daemon whose {@code daemon.json} names Berth in {@code registry-mirrors} pulls Docker Hub
 * images ({@code docker pull NAME:TAG}, i.e. {@code docker.io/library/NAME}) through a Berth mirror
 * ({@code berth.proxy.mirror.upstream}), whose upstream is a second Berth holding the images as
 * {@code library/NAME}. There is no internet here, so Docker Hub is unreachable and a pull succeeds only if
 * the mirror answers; the mirror's store and metrics show it did.
 *
 * <p>The daemon is a second one of this class's own ({@link SecondDockerDaemon}): the main daemon serves the
 * rest of the suite and keeps its configuration. Skipped where dockerd is not installed or the tests do not
 * run as root; wherever it is, a failed pull fails the test.
 */
@Timeout(120)
class DockerDaemonMirrorTest {

    private static final Duration PULL = Duration.ofSeconds(60);

    @TempDir
    static Path work;
    static BerthServer upstream;
    static BerthServer mirror;
    static SecondDockerDaemon daemon;

    /** Why no daemon of the test's own can run here, or null. */
    static String cannotRun;

    @BeforeAll
    static void start() {
        if (SecondDockerDaemon.dockerd() == null) {
            cannotRun = "dockerd is not installed: no Docker daemon can be configured with Berth as its registry mirror";
            return;
        }
        if (!SecondDockerDaemon.runningAsRoot()) {
            cannotRun = "not running as root: a Docker daemon of the test's own cannot be started";
            return;
        }
        Commands.requireExecutable(OciLayouts.SKOPEO);
        upstream = BerthServer.startOnFilesystem(work.resolve("upstream"));
        mirror = BerthServer.startOnFilesystem(work.resolve("mirror"),
                "--berth.proxy.mirror.upstream=http://" + upstream.hostAndPort());
        // Plain HTTP: the daemon counts 127.0.0.0/8 as an insecure registry without being told.
        daemon = SecondDockerDaemon.start("http://" + mirror.hostAndPort());
    }

    /** Skips each test, saying why, rather than the whole class silently (surefire reports no skip for that). */
    @BeforeEach
    void requireDaemon() {
        Assumptions.assumeTrue(cannotRun == null, cannotRun);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {daemon, mirror, upstream}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // the next one still closes
                }
            }
        }
    }

    @Test
    void dockerPullsADockerHubTagThroughTheMirror() {
        String name = "mirrored-" + Commands.randomSuffix();
        OciLayouts.Image image = pushToUpstream(name, "v1");
        double manifestMisses = metric("berth_proxy_misses_total{kind=\"manifest\"}");
        double blobMisses = metric("berth_proxy_misses_total{kind=\"blob\"}");

        daemon.docker(PULL, "pull", name + ":v1");

        assertThat(daemon.docker(PULL, "image", "inspect", "--format", "{{.Id}}", name + ":v1"))
                .as("the image's ID is its config's digest: the daemon holds the config pushed upstream")
                .isEqualTo(image.config().digest());
        assertThat(daemon.docker(PULL, "image", "inspect", "--format", "{{json .RepoDigests}}", name + ":v1"))
                .contains(name + "@" + image.digest());
        assertCachedByTheMirror(name, image);
        assertThat(metric("berth_proxy_misses_total{kind=\"manifest\"}") - manifestMisses).isGreaterThanOrEqualTo(1);
        assertThat(metric("berth_proxy_misses_total{kind=\"blob\"}") - blobMisses)
                .as("the config and both layers fetched from the upstream through the mirror").isEqualTo(3);
    }

    @Test
    void dockerPullsADockerHubDigestThroughTheMirror() {
        String name = "mirrored-" + Commands.randomSuffix();
        OciLayouts.Image image = pushToUpstream(name, "v1");
        String byDigest = name + "@" + image.digest();

        daemon.docker(PULL, "pull", byDigest);

        assertThat(daemon.docker(PULL, "image", "inspect", "--format", "{{.Id}}", byDigest))
                .isEqualTo(image.config().digest());
        assertCachedByTheMirror(name, image);
    }

    /** Pushes a new two-layer image to the upstream as {@code library/NAME:TAG}, where Docker Hub keeps NAME. */
    private static OciLayouts.Image pushToUpstream(String name, String tag) {
        Path layout = work.resolve("layout-" + name);
        OciLayouts.Image image = OciLayouts.write(layout, tag, new Random(), 200 * 1024 + 11);
        OciLayouts.pushWithSkopeo(layout, tag, upstream.hostAndPort() + "/library/" + name + ":" + tag);
        return image;
    }

    /** The mirror's own store holds the manifest, as a revision of {@code library/NAME}, and every blob. */
    private static void assertCachedByTheMirror(String name, OciLayouts.Image image) {
        Path v2 = work.resolve("mirror/docker/registry/v2");
        assertThat(v2.resolve("repositories/library/" + name + "/_manifests/revisions/sha256/"
                + hex(image.digest()) + "/link")).as("the manifest cached by the mirror").isRegularFile();
        for (String digest : image.blobs().keySet()) {
            String hex = hex(digest);
            assertThat(v2.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data"))
                    .as("blob %s in the mirror's store", digest).isRegularFile();
        }
    }

    private static String hex(String digest) {
        return digest.substring("sha256:".length());
    }

    /** The value of one series of the mirror's Prometheus page, 0 when it is not there. */
    private static double metric(String series) {
        String page = Http.getText(mirror.managementUri("/actuator/prometheus")).body();
        for (String line : page.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }
}
