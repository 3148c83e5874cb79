package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
            String stale = uploadHolding(berth, "life/purge", 4096);
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
    void anUploadKeptBusyStillExpiresAtItsMaximumAge() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.uploads.max-age=3s",
                "--berth.uploads.idle-timeout=1h", "--berth.uploads.purge.enabled=false")) {
            String location = startUpload(berth, "life/age");
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            HttpResponse<String> patched;
            do {
                Thread.sleep(500);
                patched = send(berth, "PATCH", location, new byte[100]);
                assertThat(System.nanoTime()).as("expired within 10 s").isLessThan(deadline);
            } while (patched.statusCode() == 202);
            assertThat(patched.statusCode()).isEqualTo(404);
            assertThat(patched.body()).contains("BLOB_UPLOAD_UNKNOWN").contains("older than");
            assertThat(scrape(berth).value("berth_uploads_expired_total", "reason=\"max-age\"")).isEqualTo(1);
        }
    }

    @Test
    void aDryRunCountsStaleUploadsAndDeletesNothing() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.uploads.idle-timeout=2s",
                "--berth.uploads.purge.enabled=false", "--berth.uploads.purge.dry-run=true")) {
            String stale = uploadHolding(berth, "life/dry", 512);
            Thread.sleep(2500);

            JsonNode report = purge(berth);
            assertThat(report.path("ran").asBoolean()).isTrue();
            assertThat(report.path("dryRun").asBoolean()).isTrue();
            assertThat(report.path("deleted").asInt()).isEqualTo(1);
            assertThat(report.path("bytesReclaimed").asLong()).isEqualTo(512);
            assertThat(uploadsOf("life/dry")).containsExactly(uploadId(stale));
        }
    }

    @Test
    void aPurgeWhileAnotherReplicaHoldsTheLeaseIsSkippedAndRunsOnceTheLeaseLapses() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            String stale = uploadHolding(berth, "life/lease", 256);
            Thread.sleep(2500);
            // Another replica's lease, as it writes it, valid for an hour.
            Path lease = store.resolve("berth/purge.lock");
            Files.createDirectories(lease.getParent());
            Files.writeString(lease, "{\"owner\":\"another-replica\",\"expiresAt\":\""
                    + java.time.Instant.now().plusSeconds(3600) + "\"}");

            JsonNode skipped = purge(berth);
            assertThat(skipped.path("ran").asBoolean()).isFalse();
            assertThat(uploadsOf("life/lease")).containsExactly(uploadId(stale));
            assertThat(scrape(berth).value("berth_purge_runs_total", "outcome=\"skipped\"")).isEqualTo(1);

            // The other replica died: its lease ran out, and the next purge takes over.
            Files.writeString(lease, "{\"owner\":\"another-replica\",\"expiresAt\":\""
                    + java.time.Instant.now().minusSeconds(1) + "\"}");
            JsonNode ran = purge(berth);
            assertThat(ran.path("ran").asBoolean()).isTrue();
            assertThat(ran.path("deleted").asInt()).isEqualTo(1);
            assertThat(uploadsOf("life/lease")).isEmpty();
        }
    }

    @Test
    void thePurgeRunsByItselfEveryInterval() throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.uploads.idle-timeout=1s",
                "--berth.uploads.purge.enabled=true", "--berth.uploads.purge.interval=1s")) {
            String stale = uploadHolding(berth, "life/interval", 128);
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
            while (!uploadsOf("life/interval").isEmpty()) {
                assertThat(System.nanoTime()).as("purged within 15 s, with no request").isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(scrape(berth).value("berth_purge_uploads_deleted_total")).isEqualTo(1);
        }
    }

    @Test
    void aStopLetsAChunkInFlightFinish() throws Exception {
        byte[] blob = randomBytes(64 * 1024);
        String location;
        HttpResponse<String> patched;
        try (BerthServer berth = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            location = startUpload(berth, "life/stop");
            java.util.concurrent.CountDownLatch sending = new java.util.concurrent.CountDownLatch(1);
            // A body that trickles in over about two seconds, so the stop comes while it arrives.
            java.io.InputStream slow = new java.io.InputStream() {
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
            java.util.concurrent.CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://" + berth.hostAndPort() + location))
                            .header("Content-Type", "application/octet-stream")
                            .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                                    HttpRequest.BodyPublishers.ofInputStream(() -> slow), blob.length)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sending.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300);
            berth.close(); // returns once requests in flight are done
            patched = inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
        assertThat(patched.headers().firstValue("Range")).hasValue("0-" + (blob.length - 1));
        // Another replica (here: the next start) commits what the stopped one took in, whole.
        try (BerthServer next = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            String digest = Sha256.digest(blob);
            assertThat(send(next, "PUT", location + "?digest=" + digest, new byte[0]).statusCode()).isEqualTo(201);
            HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(next.uri("/v2/life/stop/blobs/" + digest))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(pulled.body()).isEqualTo(blob);
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
            String location = startUpload(berth, "life/down");

            Path moved = store.resolve("moved");
            Files.move(root, moved);
            Files.writeString(root, "not a folder");
            HttpResponse<String> down = readiness(berth);
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"storage\"").contains("DOWN").contains("filesystem");
            assertThat(berth.managementUri("/actuator/health/liveness")).satisfies(uri ->
                    assertThat(http.send(HttpRequest.newBuilder(uri).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200));
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
        try (BerthServer berth = BerthServer.startOnFilesystem(store, SHORT_TIMEOUTS)) {
            byte[] chunked = randomBytes(3000);
            String location = startUpload(berth, "life/scripted");
            send(berth, "PATCH", location, java.util.Arrays.copyOfRange(chunked, 0, 1000));
            send(berth, "PATCH", location, java.util.Arrays.copyOfRange(chunked, 1000, 3000));
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

    private String startUpload(BerthServer berth, String repository) throws Exception {
        HttpResponse<String> started = send(berth, "POST", "/v2/" + repository + "/blobs/uploads/", new byte[0]);
        assertThat(started.statusCode()).isEqualTo(202);
        return started.headers().firstValue("Location").orElseThrow();
    }

    /** An upload of {@code repository} that has received {@code size} bytes; its location. */
    private String uploadHolding(BerthServer berth, String repository, int size) throws Exception {
        String location = startUpload(berth, repository);
        assertThat(send(berth, "PATCH", location, new byte[size]).statusCode()).isEqualTo(202);
        return location;
    }

    private String pushBlob(BerthServer berth, String repository, byte[] blob) throws Exception {
        String digest = Sha256.digest(blob);
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
}
