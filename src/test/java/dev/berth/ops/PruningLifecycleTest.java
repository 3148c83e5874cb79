package dev.berth.ops;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.MovableClock;
import dev.berth.support.Sha256;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Retention and untagged deletion in a running Berth on the filesystem store, with real HTTP: one run of the
 * trigger deletes the tags a policy does not keep, the manifests they leave untagged and those manifests'
 * unshared blobs, while the image kept still pulls whole. The rules themselves are checked without a server
 * by {@code registry.gc.ManifestPruningTest}.
 */
class PruningLifecycleTest {

    @TempDir
    Path store;

    final MovableClock clock = new MovableClock();
    final JsonMapper json = JsonMapper.builder().build();

    /** An image's config and layers, and its manifest naming them. */
    record Image(byte[] config, List<byte[]> layers, byte[] manifest) {

        List<byte[]> blobs() {
            List<byte[]> blobs = new ArrayList<>(layers);
            blobs.add(config);
            return blobs;
        }
    }

    @Test
    void oneRunDeletesUnkeptTagsTheirManifestsAndUnsharedBlobsAndTheKeptImageStillPulls() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.purge.enabled=false",
                "--berth.gc.settle=100ms", "--berth.gc.delete-untagged.enabled=true",
                "--berth.gc.delete-untagged.age=1h", "--berth.gc.retention[0].repositories=ci/**",
                "--berth.gc.retention[0].keep-newest=1")) {
            byte[] shared = randomBytes(3000);
            Image first = push(berth, "ci/app", "build-1", shared);
            Thread.sleep(20); // push times a file system surely tells apart
            Image second = push(berth, "ci/app", "build-2", shared);
            Thread.sleep(20);
            Image kept = push(berth, "ci/app", "build-3", shared);
            Image ungoverned = push(berth, "team/lib", "build-1", shared);
            // The filesystem dates what it stores by the real clock: move Berth's past the age from now.
            clock.advance(Duration.between(clock.instant(), Instant.now()).plusHours(2));

            HttpResponse<String> answer = Http.sendText("POST", berth.managementUri("/actuator/garbagecollect"), null);

            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode report = json.readTree(answer.body());
            assertThat(report.path("tagsDeleted").asInt()).isEqualTo(2);
            assertThat(report.path("manifestsDeleted").asInt()).isEqualTo(2);
            List<String> pruned = new ArrayList<>();
            report.path("pruned").forEach(entry -> pruned.add(entry.path("repository").asString() + " "
                    + entry.path("tag").asString("-") + " " + entry.path("digest").asString() + " "
                    + entry.path("rule").asString()));
            String rule = "retention ci/** keep-newest=1";
            assertThat(pruned).containsExactlyInAnyOrder(
                    "ci/app build-1 " + Sha256.digest(first.manifest()) + " " + rule,
                    "ci/app build-2 " + Sha256.digest(second.manifest()) + " " + rule,
                    "ci/app - " + Sha256.digest(first.manifest()) + " untagged",
                    "ci/app - " + Sha256.digest(second.manifest()) + " untagged");
            assertThat(report.path("deleted").asInt()).as("two manifests, their configs and own layers")
                    .isEqualTo(6);

            assertThat(Http.getText(berth.uri("/v2/ci/app/tags/list")).body()).contains("\"build-3\"")
                    .doesNotContain("build-1").doesNotContain("build-2");
            for (Image gone : List.of(first, second)) {
                assertThat(send(berth, "GET", "/v2/ci/app/manifests/" + Sha256.digest(gone.manifest())).statusCode())
                        .isEqualTo(404);
                for (byte[] blob : List.of(gone.config(), gone.layers().get(0), gone.manifest())) {
                    assertThat(send(berth, "HEAD", "/v2/ci/app/blobs/" + Sha256.digest(blob)).statusCode())
                            .isEqualTo(404);
                }
            }
            assertPulls(berth, "ci/app", "build-3", kept);
            assertPulls(berth, "team/lib", "build-1", ungoverned);
        }
    }

    /** Pulls the tag's manifest and every blob it names, each answered whole with its digest's bytes. */
    private static void assertPulls(BerthServer berth, String repository, String tag, Image image) {
        HttpResponse<byte[]> manifest = Http.send("GET", berth.uri("/v2/" + repository + "/manifests/" + tag), null,
                "Accept", "application/vnd.oci.image.manifest.v1+json");
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(Sha256.digest(manifest.body())).isEqualTo(Sha256.digest(image.manifest()));
        for (byte[] blob : image.blobs()) {
            HttpResponse<byte[]> pulled = Http.send("GET", berth.uri("/v2/" + repository + "/blobs/"
                    + Sha256.digest(blob)), null);
            assertThat(pulled.statusCode()).as("GET of %s in %s", Sha256.digest(blob), repository).isEqualTo(200);
            assertThat(Sha256.digest(pulled.body())).isEqualTo(Sha256.digest(blob));
        }
    }

    /** Pushes an image of a fresh config, a fresh layer and {@code shared}, tagged {@code tag}. */
    private static Image push(BerthServer berth, String repository, String tag, byte[] shared) {
        byte[] config = randomBytes(64);
        byte[] own = randomBytes(2000);
        List<byte[]> layers = List.of(own, shared);
        StringBuilder manifest = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Sha256.digest(config)
                + "\",\"size\":" + config.length + "},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            manifest.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                    + "\"digest\":\"").append(Sha256.digest(layers.get(i))).append("\",\"size\":")
                    .append(layers.get(i).length).append("}");
        }
        byte[] bytes = manifest.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(config, own, shared)) {
            assertThat(Http.sendText("POST", berth.uri("/v2/" + repository + "/blobs/uploads/?digest="
                    + Sha256.digest(blob)), blob).statusCode()).isEqualTo(201);
        }
        assertThat(Http.sendText("PUT", berth.uri("/v2/" + repository + "/manifests/" + tag), bytes,
                "Content-Type", "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
        return new Image(config, layers, bytes);
    }

    private static HttpResponse<String> send(BerthServer berth, String method, String path) {
        return Http.sendText(method, berth.uri(path), null);
    }
}
