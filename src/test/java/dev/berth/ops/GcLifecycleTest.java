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
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Garbage collection in a running Berth on the filesystem store, with real HTTP: the trigger on the
 * management port deletes the blobs of a deleted manifest and keeps a tagged image pullable, and the metrics
 * show the run. What a run deletes and keeps, and the pushes that race it, are checked without a server by
 * {@code registry.gc.GarbageCollectorTest} and {@code registry.gc.GcRaceTest}.
 */
class GcLifecycleTest {

    @TempDir
    Path store;

    final MovableClock clock = new MovableClock();
    final JsonMapper json = JsonMapper.builder().build();

    @Test
    void theTriggerDeletesTheBlobsOfADeletedManifestAndKeepsATaggedImagePullable() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.purge.enabled=false",
                "--berth.gc.settle=100ms")) {
            long keptLayerSize = new ScriptedPush(berth).run("gc/kept");
            byte[] keptLayer = new byte[(int) keptLayerSize];
            new Random(keptLayerSize).nextBytes(keptLayer); // ScriptedPush's layer
            byte[] config = randomBytes(64);
            byte[] layer = randomBytes(5000);
            pushBlob(berth, "gc/gone", config);
            pushBlob(berth, "gc/gone", layer);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                    + Sha256.digest(config) + "\",\"size\":64},\"layers\":[{\"mediaType\":"
                    + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + Sha256.digest(layer)
                    + "\",\"size\":5000}]}").getBytes(StandardCharsets.UTF_8);
            assertThat(Http.sendText("PUT", berth.uri("/v2/gc/gone/manifests/v1"), manifest,
                    "Content-Type", "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
            assertThat(send(berth, "DELETE", "/v2/gc/gone/manifests/" + Sha256.digest(manifest)).statusCode())
                    .isEqualTo(202);
            // The filesystem dates blobs by the real clock: move Berth's past the grace time from now.
            clock.advance(Duration.between(clock.instant(), Instant.now()).plusHours(2));

            HttpResponse<String> answer = Http.sendText("POST", berth.managementUri("/actuator/garbagecollect"), null);

            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode report = json.readTree(answer.body());
            assertThat(report.path("ran").asBoolean()).isTrue();
            assertThat(report.path("dryRun").asBoolean()).isFalse();
            assertThat(report.path("manifests").asInt()).isEqualTo(1);
            assertThat(report.path("blobsMarked").asInt()).isEqualTo(3);
            assertThat(report.path("candidates").asInt()).isEqualTo(3);
            assertThat(report.path("deleted").asInt()).isEqualTo(3);
            long reclaimed = 64 + 5000 + manifest.length;
            assertThat(report.path("bytesReclaimed").asLong()).isEqualTo(reclaimed);
            assertThat(report.path("rescued").asInt()).isZero();
            assertThat(report.has("duration")).isTrue();
            for (byte[] gone : new byte[][] {config, layer, manifest}) {
                assertThat(send(berth, "HEAD", "/v2/gc/gone/blobs/" + Sha256.digest(gone)).statusCode())
                        .isEqualTo(404);
            }
            assertThat(send(berth, "GET", "/v2/gc/kept/manifests/latest").statusCode()).isEqualTo(200);
            HttpResponse<byte[]> pulled = Http.send("GET", berth.uri("/v2/gc/kept/blobs/"
                    + Sha256.digest(keptLayer)), null);
            assertThat(pulled.statusCode()).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(keptLayer);

            Scrape metrics = new Scrape(Http.getText(berth.managementUri("/actuator/prometheus")).body());
            assertThat(metrics.value("berth_gc_runs_total", "outcome=\"ran\"")).isEqualTo(1);
            assertThat(metrics.value("berth_gc_runs_total", "outcome=\"failed\"")).isZero();
            assertThat(metrics.value("berth_gc_blobs_deleted_total")).isEqualTo(3);
            assertThat(metrics.value("berth_gc_bytes_reclaimed_total")).isEqualTo(reclaimed);
            assertThat(metrics.value("berth_gc_last_run_seconds")).isPositive();
        }
    }

    @Test
    void everyReplicaAnswersTheClustersLastReportWithItsSizesAndADryRunByBodyDeletesNothing() throws Exception {
        try (BerthServer first = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.purge.enabled=false",
                "--berth.gc.settle=100ms");
                BerthServer second = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.purge.enabled=false",
                        "--berth.gc.settle=100ms")) {
            assertThat(Http.getText(second.managementUri("/actuator/garbagecollect")).statusCode())
                    .as("before any run").isEqualTo(404);
            assertThat(scrape(second).value("berth_gc_store_bytes")).as("before any run").isZero();
            byte[] config = randomBytes(64);
            byte[] layer = randomBytes(5000);
            byte[] orphan = randomBytes(3000);
            pushBlob(first, "gc/app", config);
            pushBlob(first, "gc/app", layer);
            pushBlob(first, "gc/app", orphan);
            byte[] manifest = manifest(config, layer);
            assertThat(Http.sendText("PUT", first.uri("/v2/gc/app/manifests/v1"), manifest,
                    "Content-Type", "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
            // Pushed to a second repository, the same image weighs as much there.
            pushBlob(second, "gc/copy", config);
            pushBlob(second, "gc/copy", layer);
            assertThat(Http.sendText("PUT", second.uri("/v2/gc/copy/manifests/v1"), manifest,
                    "Content-Type", "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
            clock.advance(Duration.between(clock.instant(), Instant.now()).plusHours(2));
            long image = 64 + 5000 + manifest.length;

            HttpResponse<String> dry = Http.sendText("POST", first.managementUri("/actuator/garbagecollect/dry-run"),
                    null);

            assertThat(dry.statusCode()).isEqualTo(200);
            assertThat(Http.sendText("POST", first.managementUri("/actuator/garbagecollect/dryrun"), null)
                    .statusCode()).as("an unknown mode").isEqualTo(400);
            JsonNode dryReport = json.readTree(dry.body());
            assertThat(dryReport.path("ran").asBoolean()).isTrue();
            assertThat(dryReport.path("dryRun").asBoolean()).as("berth.gc.dry-run is false; the body asked").isTrue();
            assertThat(dryReport.path("deleted").asInt()).isEqualTo(1);
            assertThat(dryReport.path("bytesReclaimed").asLong()).isEqualTo(3000);
            assertThat(dryReport.path("storeBytes").asLong()).isEqualTo(image);
            assertThat(dryReport.path("repositories").toString()).isEqualTo("[{\"repository\":\"gc/app\",\"bytes\":"
                    + image + "},{\"repository\":\"gc/copy\",\"bytes\":" + image + "}]");
            assertThat(send(first, "HEAD", "/v2/gc/app/blobs/" + Sha256.digest(orphan)).statusCode())
                    .as("a dry run deletes nothing").isEqualTo(200);
            HttpResponse<String> seen = Http.getText(second.managementUri("/actuator/garbagecollect"));
            assertThat(seen.statusCode()).isEqualTo(200);
            assertThat(json.readTree(seen.body())).as("the other replica's answer").isEqualTo(dryReport);
            Scrape secondMetrics = scrape(second);
            assertThat(secondMetrics.value("berth_gc_store_bytes")).as("read again, a minute later").isEqualTo(image);
            assertThat(secondMetrics.value("berth_gc_last_run_seconds"))
                    .isEqualTo(Instant.parse(dryReport.path("startedAt").asString()).getEpochSecond());
            assertThat(secondMetrics.value("berth_gc_runs_total", "outcome=\"ran\"")).as("counted where it ran")
                    .isZero();

            HttpResponse<String> real = Http.sendText("POST", second.managementUri("/actuator/garbagecollect"), null);

            assertThat(real.statusCode()).isEqualTo(200);
            JsonNode realReport = json.readTree(real.body());
            assertThat(realReport.path("dryRun").asBoolean()).isFalse();
            assertThat(realReport.path("deleted").asInt()).isEqualTo(1);
            assertThat(send(first, "HEAD", "/v2/gc/app/blobs/" + Sha256.digest(orphan)).statusCode()).isEqualTo(404);
            assertThat(json.readTree(Http.getText(first.managementUri("/actuator/garbagecollect")).body()))
                    .isEqualTo(realReport);
            Scrape secondAfter = scrape(second);
            assertThat(secondAfter.value("berth_gc_runs_total", "outcome=\"ran\"")).isEqualTo(1);
            assertThat(secondAfter.value("berth_gc_blobs_deleted_total")).isEqualTo(1);
            assertThat(secondAfter.value("berth_gc_bytes_reclaimed_total")).isEqualTo(3000);
            assertThat(secondAfter.value("berth_gc_manifests_deleted_total")).isZero();
            assertThat(secondAfter.value("berth_gc_tags_deleted_total")).isZero();
            assertThat(secondAfter.value("berth_gc_duration_seconds"))
                    .isEqualTo(Duration.parse(realReport.path("duration").asString()).toMillis() / 1000.0);
            Scrape firstMetrics = scrape(first);
            assertThat(firstMetrics.value("berth_gc_runs_total", "outcome=\"ran\"")).as("its dry run").isEqualTo(1);
            assertThat(firstMetrics.value("berth_gc_blobs_deleted_total")).as("a dry run deletes nothing").isZero();
        }
    }

    private static Scrape scrape(BerthServer berth) {
        return new Scrape(Http.getText(berth.managementUri("/actuator/prometheus")).body());
    }

    private static byte[] manifest(byte[] config, byte[] layer) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + Sha256.digest(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + Sha256.digest(layer)
                + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static void pushBlob(BerthServer berth, String repository, byte[] blob) {
        assertThat(Http.sendText("POST", berth.uri("/v2/" + repository + "/blobs/uploads/?digest="
                + Sha256.digest(blob)), blob).statusCode()).isEqualTo(201);
    }

    private static HttpResponse<String> send(BerthServer berth, String method, String path) {
        return Http.sendText(method, berth.uri(path), null);
    }
}
