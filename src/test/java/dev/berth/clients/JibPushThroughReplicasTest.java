package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import dev.berth.cluster.BerthProcess;
import dev.berth.cluster.NginxProcess;
import dev.berth.support.Azurite;
import dev.berth.support.Sha256;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jib (jib-core, the library inside the Maven and Gradle plugins Spring Boot users push with) builds an
 * image and pushes it to three Berth replicas on one Azurite behind nginx's round robin, so that the
 * requests of one blob upload reach different replicas; docker pulls it back through nginx, and the files
 * and digests must be what Jib built and reported.
 */
@Tag("azurite")
@Timeout(240)
class JibPushThroughReplicasTest {

    private static final int MIB = 1024 * 1024;
    private static final Duration TRANSFER = Duration.ofSeconds(120);
    private static final Duration LOCAL = Duration.ofSeconds(30);
    private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final Pattern UPLOAD_ID = Pattern.compile("/blobs/uploads/([0-9a-f-]{36})");

    @TempDir
    static Path work;

    static final List<BerthProcess> replicas = new ArrayList<>();

    static NginxProcess nginx;

    @BeforeAll
    static void startReplicasBehindNginx() {
        Commands.requireDockerDaemon();
        Commands.requireExecutable(NginxProcess.NGINX);
        replicas.addAll(BerthProcess.startAllOnAzure(Azurite.get().getConnectionString(),
                "berth-jib-" + Commands.randomSuffix(), "A", "B", "C"));
        nginx = NginxProcess.roundRobin(work, replicas.stream().map(BerthProcess::hostAndPort).toList());
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
        replicas.parallelStream().forEach(BerthProcess::close);
    }

    @Test
    void imagePushedByJibComesBackThroughDockerByteForByte() throws Exception {
        String suffix = Commands.randomSuffix();
        String repository = "jib/app-" + suffix;
        String reference = nginx.hostAndPort() + "/" + repository + ":v1";
        Path app = Files.createDirectories(work.resolve("app-" + suffix));
        byte[] random = new byte[6 * MIB + new Random().nextInt(MIB)];
        new Random().nextBytes(random);
        Files.write(app.resolve("random.bin"), random);
        String note = "pushed by jib " + suffix + "\n";
        Files.writeString(app.resolve("note.txt"), note);

        JibContainer pushed;
        try {
            pushed = Jib.fromScratch()
                    .addFileEntriesLayer(FileEntriesLayer.builder().setName("random")
                            .addEntry(app.resolve("random.bin"), AbsoluteUnixPath.get("/data/random.bin")).build())
                    .addFileEntriesLayer(FileEntriesLayer.builder().setName("note")
                            .addEntry(app.resolve("note.txt"), AbsoluteUnixPath.get("/data/note.txt")).build())
                    .setEntrypoint("/data/note.txt")
                    .addLabel("dev.berth.test", suffix)
                    .containerize(Containerizer.to(RegistryImage.named(reference))
                            // Plain HTTP to the loopback nginx, as to any registry without TLS.
                            .setAllowInsecureRegistries(true)
                            .setBaseImageLayersCache(work.resolve("jib-base-cache"))
                            .setApplicationLayersCache(work.resolve("jib-application-cache"))
                            .setToolName("berth-client-test")
                            .addEventHandler(LogEvent.class, event ->
                                    System.out.println("jib " + event.getLevel() + ": " + event.getMessage())));
        } catch (Exception | AssertionError e) {
            e.addSuppressed(new AssertionError("nginx:\n" + nginx.diagnostics() + "\n" + replicaErrors()));
            throw e;
        }
        assertThat(pushed.isImagePushed()).as("Jib says it pushed").isTrue();
        String digest = pushed.getDigest().toString();
        String imageId = pushed.getImageId().toString();

        // Every replica serves the manifest Jib pushed under the digest Jib reported.
        for (BerthProcess replica : replicas) {
            HttpResponse<byte[]> manifest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            replica.uri("/v2/" + repository + "/manifests/v1"))
                    .header("Accept", DOCKER_MANIFEST + ", " + OCI_MANIFEST).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(manifest.statusCode()).as("GET manifest from %s", replica).isEqualTo(200);
            assertThat(manifest.headers().firstValue("Docker-Content-Digest")).as("digest header from %s", replica)
                    .hasValue(digest);
            assertThat(Sha256.digest(manifest.body())).as("digest of the manifest bytes from %s", replica)
                    .isEqualTo(digest);
        }

        String container = null;
        try {
            String pull = Commands.docker(TRANSFER, "pull", reference);
            assertThat(pull).as("docker pull output").contains("Digest: " + digest);
            assertThat(Commands.docker(LOCAL, "image", "inspect", "--format", "{{.Id}}", reference))
                    .as("image ID docker pulled (the config's digest)").isEqualTo(imageId);

            container = Commands.docker(LOCAL, "create", reference);
            Path out = work.resolve("out-" + suffix);
            Commands.docker(LOCAL, "cp", container + ":/data", out.toString());
            assertThat(Files.readAllBytes(out.resolve("random.bin"))).as("random.bin (%d bytes expected)", random.length)
                    .isEqualTo(random);
            assertThat(Files.readString(out.resolve("note.txt"), StandardCharsets.UTF_8)).isEqualTo(note);
        } finally {
            if (container != null) {
                Commands.exec(LOCAL, Commands.dockerEnv(), Commands.docker(), "rm", "-f", container);
            }
            Commands.exec(LOCAL, Commands.dockerEnv(), Commands.docker(), "rmi", "-f", reference);
        }

        assertUploadsSpreadOverReplicas(repository);
    }

    /** Jib's blob uploads (POST, PATCH, PUT) went through nginx to more than one replica, and none failed. */
    private static void assertUploadsSpreadOverReplicas(String repository) {
        Map<String, String> replicaByAddress = new LinkedHashMap<>();
        replicas.forEach(replica -> replicaByAddress.put(replica.hostAndPort(), replica.name()));
        List<NginxProcess.Access> log = nginx.accessLog().stream()
                .filter(entry -> entry.uri().startsWith("/v2/" + repository + "/")).toList();
        log.forEach(entry -> System.out.println("  " + entry.method() + " " + entry.uri() + " -> " + entry.status()
                + " by " + replicaByAddress.getOrDefault(entry.upstream(), entry.upstream())));
        assertThat(log).as("requests nginx answered with 5xx").noneMatch(entry -> entry.status() >= 500);

        Map<String, Set<String>> replicasByUpload = new LinkedHashMap<>();
        for (NginxProcess.Access entry : log) {
            Matcher id = UPLOAD_ID.matcher(entry.method().equals("POST") ? entry.location() : entry.uri());
            if (entry.uri().contains("/blobs/uploads/") && id.find()) {
                replicasByUpload.computeIfAbsent(id.group(1), key -> new LinkedHashSet<>())
                        .add(replicaByAddress.getOrDefault(entry.upstream(), entry.upstream()));
            }
        }
        System.out.println("replicas per upload session: " + replicasByUpload);
        assertThat(replicasByUpload).as("Jib's upload sessions (layers and config)").hasSizeGreaterThanOrEqualTo(3);
        assertThat(replicasByUpload.values()).as("an upload session spread over several replicas")
                .anyMatch(served -> served.size() > 1);
    }

    private static String replicaErrors() {
        StringBuilder errors = new StringBuilder();
        replicas.forEach(replica -> errors.append(replica.tail(30)).append('\n'));
        return errors.toString();
    }
}
