package dev.berth.registry.proxy;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cluster.BerthProcess;
import dev.berth.support.Azurite;
import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas over one store asked for the same missing blob: the upstream is asked once, every client gets the
 * blob whole, a client of another replica receives it while the fetch still runs, and takes the fetch over
 * when the fetching replica dies.
 */
@Timeout(240)
class SharedFetchTest {

    private static final int BLOB_SIZE = 20 << 20;
    /** Where the upstream pauses: past the second of the fetch's chunks. */
    private static final int GATE_AT = 18 << 20;
    /** What the fetching replica has made readable when the upstream pauses: two chunks. */
    private static final int PUBLISHED = (int) (2 * BlobFetcher.CHUNK);

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

    @Test
    void aSecondReplicaStreamsTheBlobWhileTheFirstStillFetchesIt() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream();
                BerthServer fetching = replica(upstream);
                BerthServer following = replica(upstream)) {
            streamsWhileFetching(upstream, fetching, following);
            try (Stream<Path> files = Files.walk(work.resolve("store/berth/proxy"))) {
                assertThat(files.filter(Files::isRegularFile)).as("leases and progress records left behind").isEmpty();
            }
        }
    }

    /** On Azure, where the fetch's staged blocks are committed as the upload's data after each chunk. */
    @Test
    void aSecondReplicaStreamsTheBlobWhileTheFirstStillFetchesItOnAzure() throws Exception {
        String container = "shared-fetch";
        try (FakeUpstream upstream = new FakeUpstream();
                BerthServer fetching = azureReplica(upstream, container);
                BerthServer following = azureReplica(upstream, container)) {
            streamsWhileFetching(upstream, fetching, following);
            assertThat(Azurite.blobNames(container, "berth/proxy/")).as("leases and progress records left behind")
                    .isEmpty();
        }
    }

    private void streamsWhileFetching(FakeUpstream upstream, BerthServer fetching, BerthServer following)
            throws Exception {
        byte[] blob = randomBytes(BLOB_SIZE);
        String digest = Sha256.digest(blob);
        upstream.answer("/v2/shared/blobs/" + digest, FakeUpstream.Answer.gated(blob, GATE_AT));
        CompletableFuture<byte[]> first = readWhole(fetching.uri("/v2/fake/shared/blobs/" + digest));
        assertThat(upstream.atGate.await(60, TimeUnit.SECONDS)).as("the upstream sent the first part").isTrue();

        // The upstream holds back the rest of the blob until the gate opens, so whatever the second client
        // receives now, it receives while the fetch runs.
        InputStream second = streamed(following.uri("/v2/fake/shared/blobs/" + digest));
        byte[] head = readWithin(second, PUBLISHED - 1);
        assertThat(upstream.gate.getCount()).as("the gate is still closed").isEqualTo(1);
        assertThat(head).isEqualTo(Arrays.copyOf(blob, PUBLISHED - 1));

        upstream.gate.countDown();
        assertThat(concat(head, readRestWithin(second))).isEqualTo(blob);
        assertThat(first.get(60, TimeUnit.SECONDS)).isEqualTo(blob);
        assertThat(upstream.gets.get("/v2/shared/blobs/" + digest)).as("GETs of the blob upstream").hasValue(1);
    }

    @Test
    void aFollowerTakesTheFetchOverFromWhereItStandsWhenTheFetchingReplicaDies() throws Exception {
        byte[] blob = randomBytes(BLOB_SIZE);
        String digest = Sha256.digest(blob);
        try (FakeUpstream upstream = new FakeUpstream();
                BerthProcess fetching = BerthProcess.start("fetching", List.of("-Xmx256m"), null,
                        "--berth.storage.backend=filesystem",
                        "--berth.storage.filesystem.root=" + work.resolve("store").toAbsolutePath(),
                        "--berth.proxy.rules[0].prefix=fake", "--berth.proxy.rules[0].upstream=" + upstream.url());
                BerthServer following = replica(upstream)) {
            upstream.answer("/v2/shared/blobs/" + digest, FakeUpstream.Answer.gated(blob, GATE_AT));
            CompletableFuture<byte[]> first = readWhole(fetching.uri("/v2/fake/shared/blobs/" + digest));
            assertThat(upstream.atGate.await(60, TimeUnit.SECONDS)).as("the upstream sent the first part").isTrue();
            InputStream second = streamed(following.uri("/v2/fake/shared/blobs/" + digest));
            byte[] head = readWithin(second, PUBLISHED - 1);

            fetching.kill();
            upstream.gate.countDown(); // later GETs get the whole blob at once
            // Once the dead replica's lease lapses, the follower fetches anew and sends what its client lacks.
            assertThat(concat(head, readRestWithin(second))).isEqualTo(blob);
            assertThat(first).isCompletedExceptionally();
            assertThat(upstream.gets.get("/v2/shared/blobs/" + digest)).as("GETs of the blob upstream").hasValue(2);
            assertThat(Http.client().send(Http.request("GET", following.uri("/v2/fake/shared/blobs/" + digest), null)
                    .build(), HttpResponse.BodyHandlers.ofByteArray()).body()).as("served from the store").isEqualTo(blob);
        }
    }

    private static CompletableFuture<byte[]> readWhole(URI uri) {
        return Http.client().sendAsync(Http.request("GET", uri, null).build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(answer -> {
                    assertThat(answer.statusCode()).isEqualTo(200);
                    return answer.body();
                });
    }

    /** The answer's body as it arrives; fails when its headers take more than a minute. */
    private static InputStream streamed(URI uri) throws Exception {
        HttpResponse<InputStream> answer = Http.client().sendAsync(Http.request("GET", uri, null).build(),
                HttpResponse.BodyHandlers.ofInputStream()).get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValueAsLong("Content-Length")).hasValue(BLOB_SIZE);
        return answer.body();
    }

    private static byte[] readWithin(InputStream in, int length) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.readNBytes(length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }

    private static byte[] readRestWithin(InputStream in) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).get(120, TimeUnit.SECONDS);
    }

    private static byte[] concat(byte[] head, byte[] rest) {
        byte[] whole = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, whole, head.length, rest.length);
        return whole;
    }

    /** How long each client waited, for the record (the upstream pauses 1.5 s mid-blob). */
    private static void took(String which, long start) {
        System.out.println("shared fetch: " + which + " answered whole after "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    private static BerthServer azureReplica(FakeUpstream upstream, String container) {
        List<String> args = new ArrayList<>(List.of(Azurite.berthArgs(container)));
        args.addAll(List.of("--berth.proxy.rules[0].prefix=fake", "--berth.proxy.rules[0].upstream=" + upstream.url()));
        return BerthServer.start(args.toArray(String[]::new));
    }

    private BerthServer replica(FakeUpstream upstream) {
        return BerthServer.startOnFilesystem(work.resolve("store"), "--berth.proxy.rules[0].prefix=fake",
                "--berth.proxy.rules[0].upstream=" + upstream.url());
    }
}
