package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Berth processes on one store, as replicas behind a load balancer: an upload's requests may reach
 * either, because its state lives in the store and not in a replica.
 */
class TwoInstancesOnOneStoreTest {

    @TempDir
    static Path store;

    static BerthServer first;
    static BerthServer second;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startBoth() {
        first = BerthServer.startOnFilesystem(store);
        second = BerthServer.startOnFilesystem(store);
    }

    @AfterAll
    static void stopBoth() {
        first.close();
        second.close();
    }

    @Test
    void uploadStartedOnOneInstanceIsContinuedAndCommittedOnTheOther() throws Exception {
        byte[] blob = randomBytes(5 * 1024 * 1024 + 17, 1);
        String digest = Sha256.digest(blob);

        HttpResponse<String> started = send(first, "POST", "/v2/cluster/app/blobs/uploads/", new byte[0], null);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();

        int chunk = 1024 * 1024;
        List<BerthServer> alternating = List.of(second, first);
        for (int offset = 0, i = 0; offset < blob.length; offset += chunk, i++) {
            int end = Math.min(blob.length, offset + chunk);
            HttpResponse<String> patched = send(alternating.get(i % 2), "PATCH", location,
                    Arrays.copyOfRange(blob, offset, end), offset + "-" + (end - 1));
            assertThat(patched.statusCode()).as("chunk at %d", offset).isEqualTo(202);
            assertThat(patched.headers().firstValue("Range")).hasValue("0-" + (end - 1));
        }

        HttpResponse<String> status = send(second, "GET", location, null, null);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-" + (blob.length - 1));

        HttpResponse<String> committed = send(first, "PUT", location + "?digest=" + digest, new byte[0], null);
        assertThat(committed.statusCode()).isEqualTo(201);
        assertThat(committed.headers().firstValue("Docker-Content-Digest")).hasValue(digest);

        HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(second.uri("/v2/cluster/app/blobs/" + digest))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(blob);
        assertThat(store.resolve("docker/registry/v2/repositories/cluster/app/_uploads").toFile().list()).isEmpty();
    }

    @Test
    void racingCopiesOfOneChunkOnBothInstancesLeaveOneWinnerAndAnIntactUpload() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                // Content of its own each round: a commit must join this round's pieces, never find the blob
                // already stored by an earlier round.
                byte[] blob = randomBytes(8 * 1024 * 1024, 100 + round);
                String digest = Sha256.digest(blob);
                String location = send(first, "POST", "/v2/cluster/race/blobs/uploads/", new byte[0], null)
                        .headers().firstValue("Location").orElseThrow();
                int half = blob.length / 2;
                byte[] head = Arrays.copyOfRange(blob, 0, half);
                // A client retry landing on the second replica while the first still works on the chunk.
                List<Callable<HttpResponse<String>>> racers = new ArrayList<>();
                for (BerthServer instance : List.of(first, second)) {
                    racers.add(() -> send(instance, "PATCH", location, head, "0-" + (half - 1)));
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<HttpResponse<String>> result : pool.invokeAll(racers)) {
                    statuses.add(result.get().statusCode());
                }
                assertThat(statuses).as("round %d", round).contains(202).allMatch(s -> s == 202 || s == 416);

                HttpResponse<String> status = send(second, "GET", location, null, null);
                assertThat(status.headers().firstValue("Range")).hasValue("0-" + (half - 1));
                HttpResponse<String> rest = send(second, "PATCH", location,
                        Arrays.copyOfRange(blob, half, blob.length), half + "-" + (blob.length - 1));
                assertThat(rest.statusCode()).isEqualTo(202);
                HttpResponse<String> committed = send(first, "PUT", location + "?digest=" + digest, new byte[0], null);
                assertThat(committed.statusCode()).as("round %d: %s", round, committed.body()).isEqualTo(201);
                HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(
                        second.uri("/v2/cluster/race/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(pulled.statusCode()).as("round %d", round).isEqualTo(200);
                assertThat(Sha256.digest(pulled.body())).as("round %d: the blob read back", round).isEqualTo(digest);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private HttpResponse<String> send(BerthServer instance, String method, String path, byte[] body,
            String contentRange) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + instance.hostAndPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentRange != null) {
            request.header("Content-Range", contentRange);
        }
        if (body != null) {
            request.header("Content-Type", "application/octet-stream");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
