package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker Engine (the daemon does the registry work; the CLI only asks it) pushes a locally built
 * multi-layer image to the registry, forgets it, and pulls it back by tag and by digest.
 */
@Timeout(150)
class DockerPushPullTest {

    private static final Duration BUILD = Duration.ofSeconds(90);
    private static final Duration TRANSFER = Duration.ofSeconds(90);
    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: \\d+");

    @TempDir
    static Path work;

    static Commands.Registry registry;

    /** Every image reference this class made, removed afterwards. */
    static final List<String> createdReferences = new ArrayList<>();
    static final List<String> createdImageIds = new ArrayList<>();

    @BeforeAll
    static void start() {
        Commands.requireDockerDaemon();
        registry = Commands.startRegistryUnderTest(work.resolve("store"), work.resolve("registry"));
    }

    @AfterAll
    static void cleanUp() {
        try {
            for (String reference : createdReferences) {
                Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", reference);
            }
            for (String id : createdImageIds) {
                Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", id);
            }
        } finally {
            if (registry != null) {
                registry.close();
            }
        }
    }

    @Test
    void pushedImageComesBackIdenticalByTagAndByDigest() throws IOException {
        String suffix = Commands.randomSuffix();
        String repository = registry.hostAndPort() + "/e2e/app-" + suffix;
        String v1 = repository + ":v1";
        String second = repository + ":second";
        createdReferences.addAll(List.of(v1, second));

        String builtId = build(work.resolve("context"), v1, suffix);
        createdImageIds.add(builtId);
        assertThat(inspect(v1, "{{len .RootFS.Layers}}")).as("layers of the built image").isEqualTo("3");

        String pushOutput = Commands.docker(TRANSFER, "push", v1);
        String pushedDigest = pushedDigest(pushOutput);
        String imageId = inspect(v1, "{{.Id}}");
        assertThat(imageId).isEqualTo(builtId);
        assertThat(repoDigests(v1)).as("RepoDigests after push").contains(repository + "@" + pushedDigest);

        // Forget the image locally, then pull it back by tag.
        Commands.docker(Duration.ofSeconds(30), "rmi", v1);
        assertImageGone(imageId);
        String pullOutput = Commands.docker(TRANSFER, "pull", v1);
        assertThat(pullOutput).as("docker pull output").contains("Digest: " + pushedDigest);
        assertThat(inspect(v1, "{{.Id}}")).as("image ID after pull by tag").isEqualTo(imageId);

        // A second tag of the same image: no layer is uploaded again, the manifest digest is the same.
        Commands.docker(Duration.ofSeconds(30), "tag", v1, second);
        String secondPush = Commands.docker(TRANSFER, "push", second);
        assertThat(pushedDigest(secondPush)).as("digest pushed for the second tag").isEqualTo(pushedDigest);
        assertThat(secondPush).as("second push output").doesNotContain("Pushed");

        // Forget everything, then pull by digest.
        Commands.docker(Duration.ofSeconds(30), "rmi", "-f", imageId);
        assertImageGone(imageId);
        String byDigest = repository + "@" + pushedDigest;
        createdReferences.add(byDigest);
        Commands.docker(TRANSFER, "pull", byDigest);
        assertThat(inspect(byDigest, "{{.Id}}")).as("image ID after pull by digest").isEqualTo(imageId);

        // And the second tag resolves to the same image.
        Commands.docker(TRANSFER, "pull", second);
        assertThat(inspect(second, "{{.Id}}")).as("image ID of the second tag").isEqualTo(imageId);
    }

    @Test
    void pushToAnotherRepositoryReusesBlobsAndPullsBack() throws IOException {
        String suffix = Commands.randomSuffix();
        String first = registry.hostAndPort() + "/e2e/mount-src-" + suffix + ":v1";
        String other = registry.hostAndPort() + "/e2e/mount-dst-" + suffix + ":v1";
        createdReferences.addAll(List.of(first, other));

        String imageId = build(work.resolve("context-mount"), first, suffix);
        createdImageIds.add(imageId);
        String firstDigest = pushedDigest(Commands.docker(TRANSFER, "push", first));

        // The daemon knows these layers live in mount-src on this registry: it tries cross-repository
        // mounts (POST .../blobs/uploads/?mount=DIGEST&from=e2e/mount-src-...) before uploading.
        Commands.docker(Duration.ofSeconds(30), "tag", first, other);
        String otherPush = Commands.docker(TRANSFER, "push", other);
        assertThat(pushedDigest(otherPush)).as("digest pushed to the other repository").isEqualTo(firstDigest);
        // The daemon prints "Mounted from e2e/mount-src-..." for a layer the registry mounted (201 to the
        // mount POST); a registry declining the mount (202, a new upload) would show "Pushed" instead.
        String source = "e2e/mount-src-" + suffix;
        assertThat(otherPush).as("layers mounted from %s, not uploaded again", source)
                .contains("Mounted from " + source)
                .doesNotContain("Pushed");

        Commands.docker(Duration.ofSeconds(30), "rmi", "-f", imageId);
        assertImageGone(imageId);
        Commands.docker(TRANSFER, "pull", other);
        assertThat(inspect(other, "{{.Id}}")).as("image ID pulled from the other repository").isEqualTo(imageId);
    }

    /** Builds a FROM-scratch image of three COPY layers (one of a few MiB of random bytes); returns its ID. */
    private static String build(Path context, String tag, String suffix) throws IOException {
        Files.createDirectories(context);
        Random random = new Random();
        byte[] big = new byte[3 * 1024 * 1024 + random.nextInt(1024 * 1024)];
        random.nextBytes(big);
        Files.writeString(context.resolve("hello.txt"), "hello from berth " + suffix + "\n");
        Files.write(context.resolve("random.bin"), big);
        Files.writeString(context.resolve("config.json"), "{\"suffix\":\"" + suffix + "\",\"n\":" + random.nextLong() + "}\n");
        Files.writeString(context.resolve("Dockerfile"), String.join("\n",
                "FROM scratch",
                "COPY hello.txt /data/hello.txt",
                "COPY random.bin /data/random.bin",
                "COPY config.json /etc/app/config.json",
                "LABEL dev.berth.test=\"" + suffix + "\"",
                "CMD [\"/data/hello.txt\"]",
                ""), StandardCharsets.UTF_8);
        String id = Commands.docker(BUILD, "build", "--force-rm", "-q", "-t", tag, context.toString());
        String[] lines = id.split("\\R");
        return lines[lines.length - 1].trim();
    }

    private static String inspect(String reference, String format) {
        return Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", format, reference);
    }

    private static List<String> repoDigests(String reference) {
        return Arrays.stream(inspect(reference, "{{range .RepoDigests}}{{println .}}{{end}}").split("\\R"))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static void assertImageGone(String imageId) {
        Commands.Result result = Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(),
                "image", "inspect", imageId);
        assertThat(result.exitCode()).as("image %s should be gone locally\n%s", imageId, result.describe())
                .isNotZero();
    }

    private static String pushedDigest(String pushOutput) {
        Matcher matcher = PUSHED_DIGEST.matcher(pushOutput);
        assertThat(matcher.find()).as("docker push output names the manifest digest:\n%s", pushOutput).isTrue();
        return matcher.group(1);
    }
}
