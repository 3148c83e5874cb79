package dev.berth.registry.proxy;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas over one store, each asked for the same missing blob at the same moment: the upstream is
 * asked once, and every client gets the blob whole.
 */
@Timeout(120)
class SharedFetchTest {

    @TempDir
    Path work;

    @Test
    void threeReplicasAskedForOneMissingBlobFetchItOnce() throws IOException {
        byte[] blob = randomBytes(2_000_000);
        String digest = Sha256.digest(blob);
        try (FakeUpstream upstream = new FakeUpstream();
                BerthServer first = replica(upstream);
                BerthServer second = replica(upstream);
                BerthServer third = replica(upstream)) {
            upstream.answer("/v2/shared/blobs/" + digest, FakeUpstream.Answer.slow(blob, 1500));

            long start = System.nanoTime();
            List<CompletableFuture<HttpResponse<byte[]>>> answers = new ArrayList<>();
            String[] names = {"first replica", "second replica", "third replica"};
            BerthServer[] replicas = {first, second, third};
            for (int i = 0; i < replicas.length; i++) {
                String name = names[i];
                answers.add(Http.client().sendAsync(Http.request("GET", replicas[i].uri("/v2/fake/shared/blobs/"
                        + digest), null).build(), HttpResponse.BodyHandlers.ofByteArray())
                        .whenComplete((answer, failure) -> took(name, start)));
            }

            for (CompletableFuture<HttpResponse<byte[]>> answer : answers) {
                assertThat(answer.join().statusCode()).isEqualTo(200);
                assertThat(answer.join().body()).isEqualTo(blob);
            }
            assertThat(upstream.gets.get("/v2/shared/blobs/" + digest)).as("GETs of the blob upstream").hasValue(1);
            try (Stream<Path> files = Files.walk(work.resolve("store/berth/proxy/fetching"))) {
                assertThat(files.filter(Files::isRegularFile)).as("leases left behind").isEmpty();
            }
        }
    }

    /** How long each client waited, for the record (the upstream pauses 1.5 s mid-blob). */
    private static void took(String which, long start) {
        System.out.println("shared fetch: " + which + " answered whole after "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    private BerthServer replica(FakeUpstream upstream) {
        return BerthServer.startOnFilesystem(work.resolve("store"), "--berth.proxy.rules[0].prefix=fake",
                "--berth.proxy.rules[0].upstream=" + upstream.url());
    }
}
