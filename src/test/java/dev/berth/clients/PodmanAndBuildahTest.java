package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Podman and Buildah (the daemonless tools of Fedora, RHEL and many CI runners, on containers/image like
 * skopeo) push images they built to the registry and pull them back: one image by tag and by digest, and a
 * multi-architecture manifest list that skopeo then reads back platform by platform, every file intact.
 */
@Timeout(180)
class PodmanAndBuildahTest {

    private static final int MIB = 1024 * 1024;
    private static final Duration BUILD = Duration.ofSeconds(60);
    private static final Duration TRANSFER = Duration.ofSeconds(90);
    private static final Duration LOCAL = Duration.ofSeconds(30);
    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path work;

    static Commands.Registry registry;

    static PodmanAndBuildah tools;

    @BeforeAll
    static void start() {
        PodmanAndBuildah.requireInstalled();
        Commands.requireExecutable(OciLayouts.SKOPEO);
        registry = Commands.startRegistryUnderTest(work.resolve("store"), work.resolve("registry"));
        tools = PodmanAndBuildah.in(work.resolve("podman"));
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void builtImageComesBackIdenticalByTagAndByDigest() throws IOException {
        String suffix = Commands.randomSuffix();
        String repository = registry.hostAndPort() + "/e2e/podman-" + suffix;
        String local = "localhost/berth-test/podman-" + suffix + ":v1";
        Context context = Context.write(work.resolve("context-" + suffix), "hello from podman " + suffix, 3 * MIB);

        String imageId = lastLine(tools.podman(BUILD, "build", "-q", "-t", local, context.dir().toString()));
        Path digestFile = work.resolve("pushed-" + suffix + ".digest");
        tools.podman(TRANSFER, "push", "--tls-verify=false", "--digestfile", digestFile.toString(), local,
                "docker://" + repository + ":v1");
        String pushed = Files.readString(digestFile).trim();
        assertThat(pushed).as("digest podman pushed").matches("sha256:[0-9a-f]{64}");
        assertThat(OciLayouts.inspectDigest(repository + ":v1")).as("digest %s serves for the tag", registry.kind())
                .isEqualTo(pushed);
        assertThat(Sha256.digest(OciLayouts.inspectRaw(repository + ":v1").getBytes(StandardCharsets.UTF_8)))
                .as("digest of the manifest bytes served").isEqualTo(pushed);

        // Forget the image locally, then pull it back by tag: the same image (its ID is the config's digest).
        tools.podman(LOCAL, "rmi", local);
        assertImageGone(imageId);
        String pulledId = lastLine(tools.podman(TRANSFER, "pull", "-q", "--tls-verify=false", repository + ":v1"));
        assertThat(pulledId).as("image ID after pull by tag").isEqualTo(imageId);
        assertThat(tools.podman(LOCAL, "image", "inspect", "--format", "{{.Digest}}", repository + ":v1"))
                .as("manifest digest podman pulled").isEqualTo(pushed);
        context.assertFilesIn(copyOut(repository + ":v1", work.resolve("out-tag-" + suffix)));

        // And by digest.
        tools.podman(LOCAL, "rmi", "-f", imageId);
        assertImageGone(imageId);
        String byDigest = lastLine(tools.podman(TRANSFER, "pull", "-q", "--tls-verify=false", repository + "@" + pushed));
        assertThat(byDigest).as("image ID after pull by digest").isEqualTo(imageId);
        context.assertFilesIn(copyOut(repository + "@" + pushed, work.resolve("out-digest-" + suffix)));
    }

    @Test
    void multiArchitectureManifestListReadsBackPlatformByPlatform() throws IOException {
        String suffix = Commands.randomSuffix();
        String repository = registry.hostAndPort() + "/e2e/podman-multi-" + suffix;
        String list = "localhost/berth-test/multi-" + suffix + ":list";

        // One image per architecture, FROM scratch (nothing runs, so no emulator is needed): buildah builds one,
        // podman the other, each with files of its own.
        Context arm = Context.write(work.resolve("context-arm64-" + suffix), "arm64 " + suffix, 2 * MIB + 17);
        Context amd = Context.write(work.resolve("context-amd64-" + suffix), "amd64 " + suffix, 2 * MIB + 31);
        String armImage = "localhost/berth-test/multi-" + suffix + ":arm64";
        String amdImage = "localhost/berth-test/multi-" + suffix + ":amd64";
        tools.buildah(BUILD, "bud", "-q", "--os", "linux", "--arch", "arm64", "-t", armImage, arm.dir().toString());
        tools.podman(BUILD, "build", "-q", "--platform", "linux/amd64", "-t", amdImage, amd.dir().toString());
        assertThat(tools.podman(LOCAL, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", armImage))
                .isEqualTo("linux/arm64");
        assertThat(tools.podman(LOCAL, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", amdImage))
                .isEqualTo("linux/amd64");

        tools.podman(LOCAL, "manifest", "create", list);
        tools.podman(LOCAL, "manifest", "add", list, "containers-storage:" + armImage);
        tools.podman(LOCAL, "manifest", "add", list, "containers-storage:" + amdImage);
        Path digestFile = work.resolve("list-" + suffix + ".digest");
        tools.podman(TRANSFER, "manifest", "push", "--all", "--tls-verify=false", "--digestfile", digestFile.toString(),
                list, "docker://" + repository + ":multi");
        String pushed = Files.readString(digestFile).trim();
        assertThat(pushed).as("digest of the list podman pushed").matches("sha256:[0-9a-f]{64}");

        String raw = OciLayouts.inspectRaw(repository + ":multi");
        assertThat(Sha256.digest(raw.getBytes(StandardCharsets.UTF_8))).as("digest of the index served for the tag")
                .isEqualTo(pushed);
        JsonNode index = JSON.readTree(raw);
        assertThat(index.path("mediaType").asString()).as("media type of the list served:\n%s", raw)
                .isIn(OCI_INDEX, DOCKER_LIST);
        List<String> platforms = new ArrayList<>();
        Map<String, String> digestByArchitecture = new LinkedHashMap<>();
        for (JsonNode entry : index.path("manifests")) {
            String os = entry.path("platform").path("os").asString();
            String architecture = entry.path("platform").path("architecture").asString();
            platforms.add(os + "/" + architecture);
            digestByArchitecture.put(architecture, entry.path("digest").asString());
        }
        assertThat(platforms).as("platforms in the index:\n%s", raw).containsExactlyInAnyOrder("linux/arm64", "linux/amd64");

        for (Map.Entry<String, Context> platform : Map.of("arm64", arm, "amd64", amd).entrySet()) {
            String architecture = platform.getKey();
            String digest = digestByArchitecture.get(architecture);
            assertThat(Sha256.digest(OciLayouts.inspectRaw(repository + "@" + digest).getBytes(StandardCharsets.UTF_8)))
                    .as("the %s manifest served by its digest", architecture).isEqualTo(digest);

            // skopeo picks the platform's image out of the list by itself, as a client on that machine would.
            Path layout = work.resolve("layout-" + architecture + "-" + suffix);
            Commands.run(TRANSFER, Map.of(), OciLayouts.SKOPEO, "--insecure-policy", "--override-os", "linux",
                    "--override-arch", architecture, "copy", "--preserve-digests", "--src-tls-verify=false",
                    "docker://" + repository + ":multi", "oci:" + layout.toAbsolutePath() + ":" + architecture);
            OciLayouts.Image image = OciLayouts.read(layout, architecture);
            assertThat(image.digest()).as("manifest skopeo chose for %s", architecture).isEqualTo(digest);
            JsonNode config = JSON.readTree(image.config().bytes());
            assertThat(config.path("os").asString() + "/" + config.path("architecture").asString())
                    .as("platform in the %s image's config", architecture).isEqualTo("linux/" + architecture);
            Path files = work.resolve("files-" + architecture + "-" + suffix);
            Files.createDirectories(files);
            for (OciLayouts.Blob layer : image.layers()) {
                Path blob = OciLayouts.blobPath(layout, layer.digest());
                Commands.run(LOCAL, Map.of(), "tar", "-xf", blob.toString(), "-C", files.toString());
            }
            platform.getValue().assertFilesIn(files.resolve("data"));
        }
    }

    // ---------------------------------------------------------------------------------------------------

    /** A build context: a note, a file of random bytes and a Containerfile copying both to /data. */
    private record Context(Path dir, String note, byte[] random) {

        static Context write(Path dir, String note, int randomBytes) throws IOException {
            byte[] random = new byte[randomBytes];
            new Random().nextBytes(random);
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("note.txt"), note + "\n");
            Files.write(dir.resolve("random.bin"), random);
            Files.writeString(dir.resolve("Containerfile"), String.join("\n",
                    "FROM scratch",
                    "COPY note.txt /data/note.txt",
                    "COPY random.bin /data/random.bin",
                    "CMD [\"/data/note.txt\"]",
                    ""), StandardCharsets.UTF_8);
            return new Context(dir, note, random);
        }

        /** Asserts {@code data} holds this context's files, byte for byte. */
        void assertFilesIn(Path data) throws IOException {
            assertThat(Files.readString(data.resolve("note.txt"))).as("note.txt in %s", data).isEqualTo(note + "\n");
            assertThat(Files.readAllBytes(data.resolve("random.bin"))).as("random.bin in %s (%d bytes expected)", data,
                    random.length).isEqualTo(random);
        }
    }

    /** Copies the /data folder of {@code reference} out, through a container that is created but never run. */
    private static Path copyOut(String reference, Path target) {
        String container = lastLine(tools.podman(LOCAL, "create", reference));
        try {
            tools.podman(LOCAL, "cp", container + ":/data", target.toString());
        } finally {
            tools.podman(LOCAL, "rm", container);
        }
        return target;
    }

    private static void assertImageGone(String imageId) {
        Commands.Result result = tools.execPodman(LOCAL, "image", "exists", imageId);
        assertThat(result.exitCode()).as("image %s should be gone locally\n%s", imageId, result.describe()).isEqualTo(1);
    }

    private static String lastLine(String output) {
        String[] lines = output.split("\\R");
        return lines[lines.length - 1].trim();
    }
}
