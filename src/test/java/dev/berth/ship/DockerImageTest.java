package dev.berth.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The top-level Dockerfile: builds Berth's image with the legacy builder on the local base images that
 * {@code scripts/build-base-images} makes (no image can be pulled here), runs it, pushes an image to it with
 * docker, and stops it gracefully.
 *
 * <p>The jar Maven packaged for this build ({@code target/berth-*.jar}) is handed in with
 * {@code --build-arg JAR_FILE=...}, so the test does not run Maven inside Docker a second time; without a
 * packaged jar (a bare {@code mvn test}) the Dockerfile's own Maven build runs, which takes longer. The base
 * images can be changed with {@code -Dberth.test.build-image=} / {@code -Dberth.test.runtime-image=}.
 */
@Timeout(300)
class DockerImageTest {

    static final String BUILD_IMAGE = System.getProperty("berth.test.build-image", "berth-build-base:17");
    static final String RUNTIME_IMAGE = System.getProperty("berth.test.runtime-image", "berth-runtime-base:17");

    @TempDir
    static Path work;

    static final String SUFFIX = Commands.randomSuffix();
    static final String IMAGE = "berth-test-" + SUFFIX + ":latest";
    static final String CONTAINER = "berth-test-" + SUFFIX;
    static final List<String> createdImages = new ArrayList<>();
    static boolean containerCreated;
    static List<String> buildStagesBefore = List.of();

    @BeforeAll
    static void requireDockerAndBaseImages() {
        Commands.requireDockerDaemon();
        for (String base : List.of(BUILD_IMAGE, RUNTIME_IMAGE)) {
            Commands.Result inspect = Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(),
                    "image", "inspect", "--format", "{{.Id}}", base);
            if (inspect.exitCode() != 0) {
                throw new AssertionError(base + " is missing; run scripts/build-base-images (scripts/install-test-deps"
                        + " does)\n" + inspect.describe());
            }
        }
    }

    /** Untagged build-stage images (the Dockerfile labels its build stage dev.berth.stage=build). */
    static List<String> buildStageImages() {
        Commands.Result result = Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(),
                "images", "-q", "--no-trunc", "--filter", "dangling=true", "--filter", "label=dev.berth.stage=build");
        return result.stdout().lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
    }

    @AfterAll
    static void cleanUp() {
        if (containerCreated) {
            Commands.exec(Duration.ofSeconds(60), Commands.dockerEnv(), Commands.docker(), "rm", "-f", "-v", CONTAINER);
        }
        for (String image : createdImages) {
            Commands.exec(Duration.ofSeconds(60), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", image);
        }
        // The build stage's image, which the legacy builder keeps untagged: the ones this build made.
        List<String> buildStages = new ArrayList<>(buildStageImages());
        buildStages.removeAll(buildStagesBefore);
        for (String id : buildStages) {
            Commands.exec(Duration.ofSeconds(60), Commands.dockerEnv(), Commands.docker(), "rmi", id);
        }
    }

    @Test
    void imageRunsAsNonRootTakesAPushAndStopsGracefully() throws IOException {
        // --- build -----------------------------------------------------------------------------------------
        buildStagesBefore = buildStageImages();
        List<String> build = new ArrayList<>(List.of(Commands.docker(), "build", "--force-rm", "-q",
                "--build-arg", "BUILD_IMAGE=" + BUILD_IMAGE,
                "--build-arg", "RUNTIME_IMAGE=" + RUNTIME_IMAGE,
                "-t", IMAGE));
        java.util.Optional<String> jar = packagedJar();
        jar.ifPresent(j -> build.addAll(List.of("--build-arg", "JAR_FILE=" + j)));
        build.add(".");
        createdImages.add(IMAGE);
        Commands.run(Duration.ofSeconds(jar.isPresent() ? 120 : 280), Commands.dockerEnv(), build.toArray(String[]::new));

        assertThat(inspectImage("{{.Config.User}}")).as("image user").isEqualTo("10001:10001");
        assertThat(inspectImage("{{json .Config.ExposedPorts}}")).contains("5000/tcp", "5001/tcp");
        assertThat(inspectImage("{{json .Config.Volumes}}")).contains("/data");
        assertThat(inspectImage("{{json .Config.Entrypoint}}"))
                .as("exec-form entrypoint: java is PID 1 and gets SIGTERM")
                .startsWith("[\"java\"")
                .contains("-XX:SharedArchiveFile=berth.jsa", "-XX:MaxRAMPercentage=40",
                        "java.base/sun.security.provider=ALL-UNNAMED");
        assertThat(Integer.parseInt(inspectImage("{{len .RootFS.Layers}}")))
                .as("the Spring Boot layers are image layers of their own")
                .isGreaterThanOrEqualTo(Integer.parseInt(Commands.docker(Duration.ofSeconds(30), "image", "inspect",
                        "--format", "{{len .RootFS.Layers}}", RUNTIME_IMAGE)) + 4);

        // --- run -------------------------------------------------------------------------------------------
        int port = Commands.freePort();
        int managementPort = Commands.freePort();
        containerCreated = true;
        long runAt = System.nanoTime();
        Commands.docker(Duration.ofSeconds(60), "run", "-d", "--name", CONTAINER,
                "-p", "127.0.0.1:" + port + ":5000", "-p", "127.0.0.1:" + managementPort + ":5001", IMAGE);
        awaitReady(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"));
        System.out.printf("the image was ready %d ms after docker run%n", (System.nanoTime() - runAt) / 1_000_000);
        assertThat(Commands.docker(Duration.ofSeconds(30), "exec", CONTAINER, "cat", "/proc/1/maps"))
                .as("the class-data sharing archive trained at build is mapped, not silently refused")
                .contains("berth.jsa");

        assertThat(Commands.docker(Duration.ofSeconds(30), "exec", CONTAINER, "id", "-u")).isEqualTo("10001");
        assertThat(Commands.docker(Duration.ofSeconds(30), "exec", CONTAINER, "cat", "/proc/1/cmdline")
                .replace('\0', ' ')).as("java is PID 1").startsWith("java ");

        // --- push a small image --------------------------------------------------------------------------
        String reference = "127.0.0.1:" + port + "/ship/hello-" + SUFFIX + ":v1";
        createdImages.add(reference);
        Path context = work.resolve("context");
        Files.createDirectories(context);
        Files.writeString(context.resolve("hello.txt"), "hello from the berth image " + SUFFIX + "\n");
        Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\nCMD [\"/hello.txt\"]\n",
                StandardCharsets.UTF_8);
        Commands.docker(Duration.ofSeconds(90), "build", "--force-rm", "-q", "-t", reference, context.toString());
        String pushed = Commands.docker(Duration.ofSeconds(90), "push", reference);
        assertThat(pushed).containsPattern("digest: sha256:[0-9a-f]{64}");
        Commands.docker(Duration.ofSeconds(30), "rmi", reference);
        Commands.docker(Duration.ofSeconds(90), "pull", reference);
        assertThat(Commands.docker(Duration.ofSeconds(30), "exec", CONTAINER, "find", "/data", "-name", "link",
                "-path", "*hello-" + SUFFIX + "*").lines().count()).as("the store is in /data").isPositive();
        String logs = logs();
        assertThat(logs).as("the JDK's SHA-256 is reachable (the --add-opens works)").doesNotContain("--add-opens");

        // --- graceful stop -------------------------------------------------------------------------------
        long started = System.nanoTime();
        Commands.docker(Duration.ofSeconds(60), "stop", "--time", "30", CONTAINER);
        long stopMillis = (System.nanoTime() - started) / 1_000_000;
        String exitCode = Commands.docker(Duration.ofSeconds(30), "inspect", "--format", "{{.State.ExitCode}}", CONTAINER);
        assertThat(exitCode).as("exit code after SIGTERM (0 or 143), not a SIGKILL (137)\n%s", logs())
                .isIn("0", "143");
        assertThat(stopMillis).as("stopped well before docker's SIGKILL timeout").isLessThan(25_000);
        assertThat(logs()).as("Spring's graceful shutdown ran").containsIgnoringCase("graceful shutdown");
    }

    /**
     * target/berth-*.jar (relative to the build context) when Maven has packaged one that is newer than every
     * main source and the pom; under {@code mvn verify} the tests run before packaging, so an older jar is not
     * trusted and the Dockerfile builds its own.
     */
    static java.util.Optional<String> packagedJar() throws IOException {
        Path target = Path.of("target");
        if (!Files.isDirectory(target)) {
            return java.util.Optional.empty();
        }
        java.util.Optional<Path> jar;
        try (Stream<Path> files = Files.list(target)) {
            jar = files.filter(p -> p.getFileName().toString().matches("berth-.*\\.jar")
                    && !p.getFileName().toString().endsWith("-plain.jar")).findFirst();
        }
        if (jar.isEmpty()) {
            return java.util.Optional.empty();
        }
        long built = Files.getLastModifiedTime(jar.get()).toMillis();
        long newestSource = Files.getLastModifiedTime(Path.of("pom.xml")).toMillis();
        try (Stream<Path> sources = Files.walk(Path.of("src/main"))) {
            for (Path source : (Iterable<Path>) sources::iterator) {
                newestSource = Math.max(newestSource, Files.getLastModifiedTime(source).toMillis());
            }
        }
        return built >= newestSource ? java.util.Optional.of("target/" + jar.get().getFileName()) : java.util.Optional.empty();
    }

    static String inspectImage(String format) {
        return Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", format, IMAGE);
    }

    static String logs() {
        Commands.Result result = Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(),
                "logs", CONTAINER);
        return result.stdout() + result.stderr();
    }

    static void awaitReady(URI readiness) {
        try {
            Commands.awaitHttp200(readiness, Duration.ofSeconds(90), null, null);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n----- container log -----\n" + logs(), e);
        }
    }
}
