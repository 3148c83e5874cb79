package dev.berth.ops;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.MovableClock;
import dev.berth.support.Sha256;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Upload timeouts, the purge and what the metrics show of them, in a running Berth with real HTTP: that the
 * configured timeouts and schedule reach the services, a graceful stop, readiness and the scrape. The rules
 * themselves (what expires, what the purge deletes and spares, its dry run and lease) are checked without a
 * server by {@code registry.upload.UploadTimeoutsAndPurgeTest}. Each test has Berth instances of its own, so
 * the counters it reads are its own, and a clock it moves instead of waiting timeouts out.
 */
class UploadLifecycleTest {

    private static final String PURGE_OFF = "--berth.uploads.purge.enabled=false";

    @TempDir
    Path store;

    final MovableClock clock = new MovableClock();
    final JsonMapper json = JsonMapper.builder().build();

    @Test
    void theConfiguredIdleTimeoutExpiresUploadsForTheirNextChunkAndForThePurge() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.idle-timeout=2s",
                PURGE_OFF)) {
            String location = startUpload(berth, "life/idle");
            assertThat(send(berth, "PATCH", location, new byte[1000]).statusCode()).isEqualTo(202);
            clock.advance(Duration.ofMillis(2500));

            HttpResponse<String> late = send(berth, "PATCH", location, new byte[1000]);
            assertThat(late.statusCode()).isEqualTo(404);
            assertThat(late.body()).contains("BLOB_UPLOAD_UNKNOWN").contains("expired");
            assertThat(uploadsOf("life/idle")).isEmpty();
            assertThat(scrape(berth).value("berth_uploads_expired_total", "reason=\"idle\"")).isEqualTo(1);

            uploadHolding(berth, "life/purge", 4096);
            clock.advance(Duration.ofMillis(2500));
            JsonNode report = purge(berth);
            assertThat(report.path("ran").asBoolean()).isTrue();
            assertThat(report.path("deleted").asInt()).isEqualTo(1);
            assertThat(report.path("bytesReclaimed").asLong()).isEqualTo(4096);
            assertThat(uploadsOf("life/purge")).isEmpty();

            Scrape metrics = scrape(berth);
            assertThat(metrics.value("berth_purge_uploads_deleted_total")).isEqualTo(1);
            assertThat(metrics.value("berth_purge_reclaimed_bytes_total")).isEqualTo(4096);
            assertThat(metrics.value("berth_purge_runs_total", "outcome=\"ran\"")).isEqualTo(1);
            assertThat(metrics.value("berth_uploads_expired_total", "reason=\"idle\"")).isEqualTo(2);
            assertThat(metrics.value("berth_purge_last_run_seconds")).isPositive();
        }
    }

    @Test
    void thePurgeRunsByItselfEveryInterval() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.idle-timeout=1s",
                "--berth.uploads.purge.enabled=true", "--berth.uploads.purge.interval=200ms")) {
            uploadHolding(berth, "life/interval", 128);
            clock.advance(Duration.ofSeconds(2));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!uploadsOf("life/interval").isEmpty()) {
                assertThat(System.nanoTime()).as("purged within 15 s, with no request").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(scrape(berth).value("berth_purge_uploads_deleted_total")).isEqualTo(1);
        }
    }

    @Test
    void aStopLetsAChunkInFlightFinish() throws Exception {
        byte[] blob = randomBytes(64 * 1024);
        String location;
        HttpResponse<String> patched;
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, PURGE_OFF)) {
            location = startUpload(berth, "life/stop");
            CountDownLatch sending = new CountDownLatch(1);
            // A body that trickles in over about two seconds, so the stop comes while it arrives.
            InputStream slow = new InputStream() {
                private int at;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) {
                    if (at == blob.length) {
                        return -1;
                    }
                    sending.countDown();
                    try {
                        Thread.sleep(125);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    int n = Math.min(Math.min(length, 4096), blob.length - at);
                    System.arraycopy(blob, at, buffer, offset, n);
                    at += n;
                    return n;
                }
            };
            CompletableFuture<HttpResponse<String>> inFlight = Http.client().sendAsync(
                    Http.request("PATCH", berth.uri(location), null, "Content-Type", "application/octet-stream")
                            .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                                    HttpRequest.BodyPublishers.ofInputStream(() -> slow), blob.length)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sending.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300);
            berth.close(); // returns once requests in flight are done
            patched = inFlight.get(30, TimeUnit.SECONDS);
        }
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
        assertThat(patched.headers().firstValue("Range")).hasValue("0-" + (blob.length - 1));
        // Another replica (here: the next start) commits what the stopped one took in, whole.
        try (BerthServer next = BerthServer.startOnFilesystem(store, clock, PURGE_OFF)) {
            String digest = Sha256.digest(blob);
            assertThat(send(next, "PUT", location + "?digest=" + digest, new byte[0]).statusCode()).isEqualTo(201);
            HttpResponse<byte[]> pulled = Http.send("GET", next.uri("/v2/life/stop/blobs/" + digest), null);
            assertThat(pulled.body()).isEqualTo(blob);
        }
    }

    @Test
    void readinessGoesDownWhenTheStoreIsGoneAndUpWhenItIsBack() throws Exception {
        Path root = store.resolve("root");
        try (BerthServer berth = BerthServer.startOnFilesystem(root, clock, PURGE_OFF)) {
            assertThat(readiness(berth).statusCode()).isEqualTo(200);
            String location = startUpload(berth, "life/down");

            Path moved = store.resolve("moved");
            Files.move(root, moved);
            Files.writeString(root, "not a folder");
            HttpResponse<String> down = readiness(berth);
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"storage\"").contains("DOWN").contains("filesystem");
            assertThat(Http.getText(berth.managementUri("/actuator/health/liveness")).statusCode()).isEqualTo(200);
            // A request that needs the store meanwhile is told to come back, in the protocol's words.
            HttpResponse<String> refused = send(berth, "PATCH", location, new byte[100]);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.body()).startsWith("{\"errors\":[{\"code\":\"UNAVAILABLE\"")
                    .doesNotContain(root.toString());

            Files.delete(root);
            Files.move(moved, root);
            HttpResponse<String> up = readiness(berth);
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(up.body()).contains("latencyMillis").doesNotContain(root.toString());
        }
    }

    @Test
    void aScrapeAfterAScriptedPushShowsWhatHappened() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, PURGE_OFF)) {
            byte[] chunked = randomBytes(3000);
            String location = startUpload(berth, "life/scripted");
            send(berth, "PATCH", location, Arrays.copyOfRange(chunked, 0, 1000));
            send(berth, "PATCH", location, Arrays.copyOfRange(chunked, 1000, 3000));
            assertThat(send(berth, "PUT", location + "?digest=" + Sha256.digest(chunked), new byte[0]).statusCode())
                    .isEqualTo(201);
            byte[] whole = randomBytes(500);
            assertThat(send(berth, "POST", "/v2/life/scripted/blobs/uploads/?digest=" + Sha256.digest(whole), whole)
                    .statusCode()).isEqualTo(201);
            String cancelled = startUpload(berth, "life/scripted");
            assertThat(send(berth, "DELETE", cancelled, null).statusCode()).isEqualTo(204);
            String wrong = startUpload(berth, "life/scripted");
            assertThat(send(berth, "PUT", wrong + "?digest=" + Sha256.digest(new byte[1]), new byte[7]).statusCode())
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

    private static String startUpload(BerthServer berth, String repository) {
        HttpResponse<String> started = send(berth, "POST", "/v2/" + repository + "/blobs/uploads/", new byte[0]);
        assertThat(started.statusCode()).isEqualTo(202);
        return started.headers().firstValue("Location").orElseThrow();
    }

    /** An upload of {@code repository} that has received {@code size} bytes; its location. */
    private static String uploadHolding(BerthServer berth, String repository, int size) {
        String location = startUpload(berth, repository);
        assertThat(send(berth, "PATCH", location, new byte[size]).statusCode()).isEqualTo(202);
        return location;
    }

    private List<String> uploadsOf(String repository) {
        String[] names = store.resolve("docker/registry/v2/repositories/" + repository + "/_uploads").toFile().list();
        return names == null ? List.of() : List.of(names);
    }

    private static String uploadId(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    private JsonNode purge(BerthServer berth) {
        HttpResponse<String> response = Http.sendText("POST", berth.managementUri("/actuator/uploadpurge"), null);
        assertThat(response.statusCode()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private static HttpResponse<String> readiness(BerthServer berth) {
        return Http.getText(berth.managementUri("/actuator/health/readiness"));
    }

    private static Scrape scrape(BerthServer berth) {
        return new Scrape(Http.getText(berth.managementUri("/actuator/prometheus")).body());
    }

    private static HttpResponse<String> send(BerthServer berth, String method, String path, byte[] body) {
        return Http.sendText(method, berth.uri(path), body);
    }
}
