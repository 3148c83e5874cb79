package dev.berth.cluster;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Azurite;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many pushes at once on a replica with a small heap: memory is bounded by the replica's budget, not by the
 * number of pushes, so every push succeeds (waiting for buffers if it must) and none fails for memory.
 */
@Timeout(300)
class ManyPushesInSmallHeapTest {

    static final int PUSHES = 32;
    static final int SIZE = 8 * 1024 * 1024;

    @TempDir
    static Path work;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"azure", "filesystem"})
    void thirtyTwoPushesOfEightMegabytesInA128MegabyteHeap(String store) throws Exception {
        String[] storeArgs = store.equals("azure")
                ? Azurite.berthArgs("berth-small-heap")
                : new String[] {"--berth.storage.backend=filesystem",
                        "--berth.storage.filesystem.root=" + Files.createDirectories(work.resolve("store"))};
        try (BerthProcess berth = BerthProcess.start("small-heap-" + store, List.of("-Xmx128m",
                "-XX:+ExitOnOutOfMemoryError"), Azurite.get().getConnectionString(), storeArgs)) {
            ExecutorService clients = Executors.newFixedThreadPool(PUSHES);
            List<Future<String>> pushes = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < PUSHES; i++) {
                int client = i;
                pushes.add(clients.submit(() -> push(berth, "heap/c" + client, client)));
            }
            List<String> outcomes = new ArrayList<>();
            for (Future<String> push : pushes) {
                outcomes.add(push.get());
            }
            clients.shutdown();
            System.out.printf("%d pushes of %d MiB at once to a 128 MiB heap on %s: %d ms, %s%n", PUSHES,
                    SIZE >> 20, store, (System.nanoTime() - start) / 1_000_000,
                    outcomes.stream().distinct().toList());
            assertThat(outcomes).as("every push").allMatch("201"::equals);
            assertThat(berth.isAlive()).as("the replica after the pushes").isTrue();
        }
    }

    /** POST, the whole body in one streamed PATCH (as docker sends it), PUT; then the size read back. */
    private static String push(BerthProcess berth, String repository, int seed) {
        byte[] blob = randomBytes(SIZE, seed);
        String digest = Sha256.digest(blob);
        HttpResponse<String> started = Http.sendText("POST", berth.uri("/v2/" + repository + "/blobs/uploads/"), null);
        if (started.statusCode() != 202) {
            return "POST " + started.statusCode();
        }
        String location = started.headers().firstValue("Location").orElseThrow();
        HttpResponse<String> patched = Http.sendText(Http.request("PATCH", berth.uri(location), null)
                .timeout(Duration.ofMinutes(3))
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(blob))));
        if (patched.statusCode() != 202) {
            return "PATCH " + patched.statusCode() + " " + patched.body();
        }
        HttpResponse<String> committed = Http.sendText(Http.request("PUT", berth.uri(location + "?digest=" + digest),
                null).timeout(Duration.ofMinutes(3)));
        if (committed.statusCode() != 201) {
            return "PUT " + committed.statusCode() + " " + committed.body();
        }
        HttpResponse<String> head = Http.sendText("HEAD", berth.uri("/v2/" + repository + "/blobs/" + digest), null);
        return head.headers().firstValue("Content-Length").equals(java.util.Optional.of(String.valueOf(SIZE)))
                ? "201" : "HEAD " + head.statusCode();
    }
}
