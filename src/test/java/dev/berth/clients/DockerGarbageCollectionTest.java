package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.StoreSnapshot;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What garbage collection deletes, to the file, after {@code docker push}: two images sharing their base
 * layer, one deleted by digest, one collection with no grace time. Exactly the deleted image's own blobs go
 * (its manifest, its config, its own layer) with its repository's links to them; every other file stays.
 * The other image, forgotten by the daemon, pulls back complete and identical.
 */
@Timeout(240)
class DockerGarbageCollectionTest {

    private static final Duration BUILD = Duration.ofSeconds(90);
    private static final Duration TRANSFER = Duration.ofSeconds(90);
    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: \\d+");
    private static final String ACCEPT = "application/vnd.docker.distribution.manifest.v2+json, "
            + "application/vnd.oci.image.manifest.v1+json";
    private static final String REPOSITORIES = "docker/registry/v2/repositories/";

    @TempDir
    Path work;

    final List<String> images = new ArrayList<>();
    final JsonMapper json = JsonMapper.builder().build();

    @AfterEach
    void removeImages() {
        for (String image : images) {
            Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", image);
        }
    }

    @Test
    void collectingADeletedImageDeletesExactlyItsOwnBlobsAndTheOtherPullsBackIdentical() throws IOException {
        Commands.requireDockerDaemon();
        Path root = work.resolve("store");
        try (BerthServer berth = BerthServer.startOnFilesystem(root, "--berth.gc.grace=0s", "--berth.gc.settle=200ms")) {
            String suffix = Commands.randomSuffix();
            String base = "berth-gc-base-" + suffix + ":latest"; // local only, never pushed
            String keptRepository = "e2e/gc-kept-" + suffix;
            String goneRepository = "e2e/gc-gone-" + suffix;
            String kept = berth.hostAndPort() + "/" + keptRepository + ":v1";
            String gone = berth.hostAndPort() + "/" + goneRepository + ":v1";
            build("base", base, "FROM scratch\nCOPY shared.bin /shared.bin\n");
            build("kept", kept, "FROM " + base + "\nCOPY own.bin /kept.bin\nLABEL image=kept\n");
            build("gone", gone, "FROM " + base + "\nCOPY own.bin /gone.bin\nLABEL image=gone\n");

            String keptDigest = pushedDigest(Commands.docker(TRANSFER, "push", kept));
            String goneDigest = pushedDigest(Commands.docker(TRANSFER, "push", gone));
            JsonNode keptManifest = manifest(berth, keptRepository, keptDigest);
            JsonNode goneManifest = manifest(berth, goneRepository, goneDigest);
            String sharedLayer = keptManifest.path("layers").get(0).path("digest").asString();
            String keptLayer = keptManifest.path("layers").get(1).path("digest").asString();
            String goneLayer = goneManifest.path("layers").get(1).path("digest").asString();
            String keptConfig = keptManifest.path("config").path("digest").asString();
            String goneConfig = goneManifest.path("config").path("digest").asString();
            assertThat(goneManifest.path("layers").get(0).path("digest").asString()).as("the base layer, shared")
                    .isEqualTo(sharedLayer);
            assertThat(Set.of(sharedLayer, keptLayer, goneLayer, keptConfig, goneConfig)).hasSize(5);
            String keptImage = inspect(kept, "{{.Id}} {{json .RootFS.Layers}}");

            assertThat(send(berth, "DELETE", "/v2/" + goneRepository + "/manifests/" + goneDigest).statusCode())
                    .isEqualTo(202);
            Map<String, String> before = StoreSnapshot.of(root);
            HttpResponse<String> answer = Http.sendText("POST", berth.managementUri("/actuator/garbagecollect"), null);
            Map<String, String> after = StoreSnapshot.of(root);

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode report = json.readTree(answer.body());
            assertThat(report.path("deleted").asInt()).as("blobs deleted: %s", answer.body()).isEqualTo(3);
            Set<String> removed = new TreeSet<>(before.keySet());
            removed.removeAll(after.keySet());
            assertThat(removed).as("files the collection deleted").containsExactlyInAnyOrder(
                    blobData(goneDigest), blobData(goneConfig), blobData(goneLayer),
                    link(goneRepository, goneConfig), link(goneRepository, goneLayer));
            Map<String, String> changed = new HashMap<>(after);
            changed.entrySet().removeIf(file -> file.getValue().equals(before.get(file.getKey())));
            assertThat(changed.keySet()).as("files the collection wrote: its lease only")
                    .allMatch(file -> file.startsWith("berth/") || file.equals(".berth-locks"));

            for (String blob : List.of(goneConfig, goneLayer)) {
                assertThat(send(berth, "HEAD", "/v2/" + goneRepository + "/blobs/" + blob).statusCode())
                        .as("HEAD %s in %s", blob, goneRepository).isEqualTo(404);
            }
            assertThat(send(berth, "HEAD", "/v2/" + goneRepository + "/blobs/" + sharedLayer).statusCode())
                    .as("the shared layer in the deleted image's repository").isEqualTo(200);
            for (String blob : List.of(keptConfig, sharedLayer, keptLayer)) {
                assertThat(send(berth, "HEAD", "/v2/" + keptRepository + "/blobs/" + blob).statusCode())
                        .as("HEAD %s in %s", blob, keptRepository).isEqualTo(200);
            }

            // Forget every image that holds these layers, so the pull downloads and verifies all of them: docker
            // checks each blob against its digest in the manifest and each unpacked layer against its diff ID in
            // the config, and the image ID is the digest of that config. The same ID and diff IDs after the
            // pull are the same bytes.
            Commands.docker(Duration.ofSeconds(30), "rmi", kept, gone, base);
            String pull = Commands.docker(TRANSFER, "pull", kept);
            assertThat(pull).as("docker pull output").contains("Digest: " + keptDigest).doesNotContain("Already exists");
            assertThat(pull.lines().filter(line -> line.contains("Pull complete")).count()).as("layers downloaded")
                    .isEqualTo(2);
            assertThat(inspect(kept, "{{.Id}} {{json .RootFS.Layers}}")).as("image ID and layer diff IDs after the pull")
                    .isEqualTo(keptImage);
        }
    }

    /** A FROM-scratch or FROM-base image of {@code dockerfile}, its {@code own.bin} and {@code shared.bin} random. */
    private void build(String name, String tag, String dockerfile) throws IOException {
        Path context = Files.createDirectories(work.resolve(name));
        Random random = new Random();
        byte[] content = new byte[64 * 1024 + random.nextInt(64 * 1024)];
        random.nextBytes(content);
        Files.write(context.resolve(name.equals("base") ? "shared.bin" : "own.bin"), content);
        Files.writeString(context.resolve("Dockerfile"), dockerfile, StandardCharsets.UTF_8);
        Commands.docker(BUILD, "build", "--force-rm", "-q", "-t", tag, context.toString());
        images.add(tag);
    }

    private JsonNode manifest(BerthServer berth, String repository, String digest) {
        HttpResponse<String> answer = Http.sendText("GET", berth.uri("/v2/" + repository + "/manifests/" + digest),
                null, "Accept", ACCEPT);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode manifest = json.readTree(answer.body());
        assertThat(manifest.path("layers").size()).as("layers of %s", answer.body()).isEqualTo(2);
        return manifest;
    }

    private static String inspect(String reference, String format) {
        return Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", format, reference);
    }

    private static String pushedDigest(String pushOutput) {
        Matcher matcher = PUSHED_DIGEST.matcher(pushOutput);
        assertThat(matcher.find()).as("docker push output names the manifest digest:\n%s", pushOutput).isTrue();
        return matcher.group(1);
    }

    private static HttpResponse<String> send(BerthServer berth, String method, String path) {
        return Http.sendText(method, berth.uri(path), null);
    }

    private static String blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return "docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
    }

    private static String link(String repository, String digest) {
        return REPOSITORIES + repository + "/_layers/sha256/" + digest.substring("sha256:".length()) + "/link";
    }
}
