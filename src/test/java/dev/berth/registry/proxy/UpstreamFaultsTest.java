package dev.berth.registry.proxy;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an upstream sends wrong never enters the cache and never reaches a client as a good answer: a blob
 * with a flipped byte, a blob cut off mid-body, a manifest that is not the digest asked for. And what an
 * upstream asks for is done right: a Bearer token from its realm, and no credentials sent along to the
 * storage a blob is redirected to.
 */
@Timeout(60)
class UpstreamFaultsTest {

    @TempDir
    static Path work;
    static FakeUpstream upstream;
    static BerthServer cache;

    @BeforeAll
    static void start() {
        upstream = new FakeUpstream();
        cache = BerthServer.startOnFilesystem(work.resolve("cache"), "--berth.proxy.rules[0].prefix=fake",
                "--berth.proxy.rules[0].upstream=" + upstream.url(), "--berth.proxy.rules[0].read-timeout=2s");
    }

    @AfterAll
    static void stop() {
        if (cache != null) {
            cache.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aCorruptedBlobIsNeitherStoredNorServedWhole() throws IOException {
        byte[] blob = randomBytes(600_000);
        byte[] corrupted = blob.clone();
        corrupted[corrupted.length / 2] ^= 1;
        String digest = Sha256.digest(blob);
        upstream.answer("/v2/corrupt/blobs/" + digest, FakeUpstream.Answer.of(corrupted));

        assertPullFails("/v2/fake/corrupt/blobs/" + digest, blob.length);
        assertNotStored(digest);
        assertPullFails("/v2/fake/corrupt/blobs/" + digest, blob.length);
        assertNotStored(digest);
    }

    @Test
    void aBlobCutOffMidBodyIsNeitherStoredNorServedWhole() throws IOException {
        byte[] blob = randomBytes(600_000);
        String digest = Sha256.digest(blob);
        upstream.answer("/v2/cut/blobs/" + digest,
                FakeUpstream.Answer.cutOff(Arrays.copyOf(blob, 300_000), blob.length));

        assertPullFails("/v2/fake/cut/blobs/" + digest, blob.length);
        assertNotStored(digest);
    }

    @Test
    void aBlobStallingMidBodyFailsAfterTheReadTimeoutAndIsNotStored() throws IOException {
        byte[] blob = randomBytes(600_000);
        String digest = Sha256.digest(blob);
        upstream.answer("/v2/stalled/blobs/" + digest,
                FakeUpstream.Answer.stalled(Arrays.copyOf(blob, 300_000), blob.length));

        long start = System.nanoTime();
        assertPullFails("/v2/fake/stalled/blobs/" + digest, blob.length);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("given up after the 2 s read timeout")
                .isLessThan(Duration.ofSeconds(15));
        assertNotStored(digest);
    }

    @Test
    void aSmallCorruptedBlobFailsAsWell() throws IOException {
        byte[] blob = "tiny".getBytes(StandardCharsets.UTF_8);
        String digest = Sha256.digest(blob);
        upstream.answer("/v2/tiny/blobs/" + digest, FakeUpstream.Answer.of("tinY".getBytes(StandardCharsets.UTF_8)));

        assertPullFails("/v2/fake/tiny/blobs/" + digest, blob.length);
        assertNotStored(digest);
    }

    @Test
    void aManifestOfAnotherDigestIsRefusedWith502() throws IOException {
        byte[] asked = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] sent = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[] }"
                .getBytes(StandardCharsets.UTF_8);
        String digest = Sha256.digest(asked);
        upstream.answer("/v2/lying/manifests/" + digest, FakeUpstream.Answer.of(sent,
                "Content-Type", "application/vnd.oci.image.index.v1+json"));
        upstream.answer("/v2/lying/manifests/latest", FakeUpstream.Answer.of(sent,
                "Content-Type", "application/vnd.oci.image.index.v1+json", "Docker-Content-Digest", digest));

        for (String reference : new String[] {digest, "latest"}) {
            HttpResponse<String> answer = Http.sendText("GET", cache.uri("/v2/fake/lying/manifests/" + reference), null);
            assertThat(answer.statusCode()).as(reference).isEqualTo(502);
            assertThat(answer.body()).contains("\"code\":\"UNKNOWN\"");
        }
        assertNotStored(digest);
        assertNotStored(Sha256.digest(sent));
    }

    @Test
    void signsInWithABearerTokenAndSendsNoCredentialsToRedirectedStorage() {
        byte[] blob = randomBytes(200_000);
        String digest = Sha256.digest(blob);
        upstream.redirect("/v2/redirected/blobs/" + digest, FakeUpstream.Answer.of(blob));

        HttpResponse<byte[]> pulled = Http.send("GET", cache.uri("/v2/fake/redirected/blobs/" + digest), null);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(blob);
        assertThat(upstream.tokenRequests).anySatisfy(query -> assertThat(query).contains("service=fake"));
        assertThat(upstream.storageAuthorizations).containsOnly("none");
    }

    /** The client gets no complete 200 answer: an error status, or a body that stops short of its length. */
    private static void assertPullFails(String path, int length) {
        try {
            HttpResponse<byte[]> answer = Http.send("GET", cache.uri(path), null);
            assertThat(answer.statusCode()).as("a client must not get a complete 200 of wrong bytes")
                    .isNotEqualTo(200);
        } catch (UncheckedIOException expected) {
            assertThat(expected.getCause()).isInstanceOf(IOException.class);
        }
    }

    private static void assertNotStored(String digest) throws IOException {
        String hex = digest.substring("sha256:".length());
        assertThat(work.resolve("cache/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex))
                .doesNotExist();
        Path repositories = work.resolve("cache/docker/registry/v2/repositories");
        if (Files.exists(repositories)) {
            try (Stream<Path> files = Files.walk(repositories)) {
                assertThat(files.filter(Files::isRegularFile).map(Path::toString))
                        .noneMatch(name -> name.contains(hex)).noneMatch(name -> name.contains("/_uploads/"));
            }
        }
    }
}
