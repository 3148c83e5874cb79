package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Upload timeouts, the purge and what the metrics show of them, on a real store with real HTTP. Each test
 * has Berth instances of its own so the counters it reads are its own.
 */
class UploadLifecycleTest {

    private static final String[] SHORT_TIMEOUTS = {"--berth.uploads.idle-timeout=2s",
            "--berth.uploads.purge.enabled=false"};

    @TempDir
    Path store;

    final HttpClient http = HttpClient.newHttpClient();
    final JsonMapper json = JsonMapper.builder().build();

    @Test
    void anUploadLeftIdleExpiresAndTheNextChunkIsToldSo() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            String location = startUpload(berth, "life/idle");
            assertThat(send(berth, "PATCH", location, new byte[1000]).statusCode()).isEqualTo(202);
            Thread.sleep(2500);

            HttpResponse<String> late = send(berth, "PATCH", location, new byte[1000]);
            assertThat(late.statusCode()).isEqualTo(404);
            assertThat(late.body()).contains("BLOB_UPLOAD_UNKNOWN").contains("expired");
            assertThat(uploadsOf("life/idle")).isEmpty();
            assertThat(scrape(berth).value("berth_uploads_expired_total", "reason=\"idle\"")).isEqualTo(1);
        }
    }

    @Test
    void thePurgeDeletesStaleUploadsAndSparesLiveUploadsAndBlobs() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            String stale = startUpload(berth, "life/purge");
            send(berth, "PATCH", stale, new byte[4096]);
            byte[] blob = randomBytes(10_000);
            String digest = pushBlob(berth, "life/purge", blob);
            Thread.sleep(2500);
            String live = startUpload(berth, "life/purge");
            send(berth, "PATCH", live, new byte[100]);

            JsonNode report = purge(berth);
            assertThat(report.path("ran").asBoolean()).isTrue();
            assertThat(report.path("deleted").asInt()).isEqualTo(1);
            assertThat(report.path("bytesReclaimed").asLong()).isEqualTo(4096);
            assertThat(uploadsOf("life/purge")).containsExactly(uploadId(live));

            byte[] rest = randomBytes(50);
            assertThat(send(berth, "PATCH", live, rest).statusCode()).isEqualTo(202);
            HttpResponse<String> pulled = http.send(HttpRequest.newBuilder(
                    berth.uri("/v2/life/purge/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(pulled.statusCode()).isEqualTo(200);

            Scrape metrics = scrape(berth);
            assertThat(metrics.value("berth_purge_uploads_deleted_total")).isEqualTo(1);
            assertThat(metrics.value("berth_purge_reclaimed_bytes_total")).isEqualTo(4096);
            assertThat(metrics.value("berth_purge_runs_total", "outcome=\"ran\"")).isEqualTo(1);
            assertThat(metrics.value("berth_uploads_expired_total", "reason=\"idle\"")).isEqualTo(1);
            assertThat(metrics.value("berth_purge_last_run_seconds")).isPositive();
        }
    }

    @Test
    void twoPurgersRunningAtOnceDeleteEachStaleUploadExactlyOnce() throws Exception {
        try (BerthServer first = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS);
                BerthServer second = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            for (int i = 0; i < 6; i++) {
                String location = startUpload(i % 2 == 0 ? first : second, "life/race" + (i % 3));
                send(first, "PATCH", location, new byte[100 * (i + 1)]);
            }
            Thread.sleep(2500);

            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Callable<JsonNode>> purgers = new ArrayList<>();
            for (BerthServer instance : List.of(first, second)) {
                purgers.add(() -> purge(instance));
            }
            int deleted = 0;
            long bytes = 0;
            int ran = 0;
            for (Future<JsonNode> report : pool.invokeAll(purgers)) {
                deleted += report.get().path("deleted").asInt();
                bytes += report.get().path("bytesReclaimed").asLong();
                ran += report.get().path("ran").asBoolean() ? 1 : 0;
            }
            pool.shutdown();

            assertThat(ran).isGreaterThanOrEqualTo(1);
            assertThat(deleted).isEqualTo(6);
            assertThat(bytes).isEqualTo(100 * (1 + 2 + 3 + 4 + 5 + 6));
            for (int r = 0; r < 3; r++) {
                assertThat(uploadsOf("life/race" + r)).isEmpty();
            }
            double counted = scrape(first).value("berth_purge_uploads_deleted_total")
                    + scrape(second).value("berth_purge_uploads_deleted_total");
            assertThat(counted).isEqualTo(6);
        }
    }

    @Test
    void readinessGoesDownWhenTheStoreIsGoneAndUpWhenItIsBack() throws Exception {
        Path root = store.resolve("root");
        try (BerthServer berth = BerthServer.startOnFilesystem(root, SHORT_TIMEOUTS)) {
            assertThat(readiness(berth).statusCode()).isEqualTo(200);

            Path moved = store.resolve("moved");
            Files.move(root, moved);
            Files.writeString(root, "not a folder");
            HttpResponse<String> down = readiness(berth);
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"storage\"").contains("DOWN").contains("filesystem");
            assertThat(berth.managementUri("/actuator/health/liveness")).satisfies(uri ->
                    assertThat(http.send(HttpRequest.newBuilder(uri).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200));

            Files.delete(root);
            Files.move(moved, root);
            HttpResponse<String> up = readiness(berth);
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(up.body()).contains("latencyMillis").doesNotContain(root.toString());
        }
    }

    @Test
    void aScrapeAfterAScriptedPushShowsWhatHappened() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            byte[] chunked = randomBytes(3000);
            String location = startUpload(berth, "life/scripted");
            send(berth, "PATCH", location, java.util.Arrays.copyOfRange(chunked, 0, 1000));
            send(berth, "PATCH", location, java.util.Arrays.copyOfRange(chunked, 1000, 3000));
            assertThat(send(berth, "PUT", location + "?digest=" + sha256(chunked), new byte[0]).statusCode())
                    .isEqualTo(201);
            byte[] whole = randomBytes(500);
            assertThat(send(berth, "POST", "/v2/life/scripted/blobs/uploads/?digest=" + sha256(whole), whole)
                    .statusCode()).isEqualTo(201);
            String cancelled = startUpload(berth, "life/scripted");
            assertThat(send(berth, "DELETE", cancelled, null).statusCode()).isEqualTo(204);
            String wrong = startUpload(berth, "life/scripted");
            assertThat(send(berth, "PUT", wrong + "?digest=" + sha256(new byte[1]), new byte[7]).statusCode())
                    .isEqualTo(400);

            Scrape metrics = scrape(berth);
            assertThat(metrics.value("berth_uploads_started_total")).isEqualTo(4);
            assertThat(metrics.value("berth_uploads_completed_total")).isEqualTo(2);
            assertThat(metrics.value("berth_uploads_cancelled_total")).isEqualTo(1);
            assertThat(metrics.value("berth_uploads_failed_total", "code=\"DIGEST_INVALID\"")).isEqualTo(1);
            assertThat(metrics.value("berth_uploads_received_bytes_total")).isEqualTo(3000 + 500 + 7);
            assertThat(metrics.value("berth_uploads_duration_seconds_count")).isEqualTo(2);
            assertThat(metrics.value("berth_uploads_chunk_duration_seconds_count")).isEqualTo(4);
            assertThat(metrics.value("berth_uploads_requests_active")).isEqualTo(0);
            assertThat(metrics.value("http_server_requests_seconds_count",
                    "uri=\"/v2/{name}/blobs/uploads/{uuid}\"")).isPositive();
            assertThat(metrics.value("berth_storage_operations_seconds_count",
                    "operation=\"compose_pieces\"")).isEqualTo(2);
            assertThat(metrics.text()).doesNotContain("life/scripted").doesNotContain(uploadId(location));
        }
    }

    private String startUpload(BerthServer berth, String repository) throws Exception {
        HttpResponse<String> started = send(berth, "POST", "/v2/" + repository + "/blobs/uploads/", new byte[0]);
        assertThat(started.statusCode()).isEqualTo(202);
        return started.headers().firstValue("Location").orElseThrow();
    }

    private String pushBlob(BerthServer berth, String repository, byte[] blob) throws Exception {
        String digest = sha256(blob);
        assertThat(send(berth, "POST", "/v2/" + repository + "/blobs/uploads/?digest=" + digest, blob).statusCode())
                .isEqualTo(201);
        return digest;
    }

    private List<String> uploadsOf(String repository) {
        String[] names = store.resolve("docker/registry/v2/repositories/" + repository + "/_uploads").toFile().list();
        return names == null ? List.of() : List.of(names);
    }

    private static String uploadId(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    private JsonNode purge(BerthServer berth) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(berth.managementUri("/actuator/uploadpurge"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private HttpResponse<String> readiness(BerthServer berth) throws Exception {
        return http.send(HttpRequest.newBuilder(berth.managementUri("/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Scrape scrape(BerthServer berth) throws Exception {
        return new Scrape(http.send(HttpRequest.newBuilder(berth.managementUri("/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private HttpResponse<String> send(BerthServer berth, String method, String path, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + berth.hostAndPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
