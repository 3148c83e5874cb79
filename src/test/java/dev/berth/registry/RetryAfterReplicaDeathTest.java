package dev.berth.registry;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Azurite;
import dev.berth.support.BerthServer;
import dev.berth.support.DyingStore;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A replica may die between any two of its writes to the store: for every store call k of a blob commit
 * and of a manifest push, replica A dies at call k, the client repeats the same request on replica B, and
 * the outcome is the one the first attempt would have had (201, the blob or manifest whole and readable,
 * nothing left half-done), on the filesystem and on Azure. A commit whose answer was lost is answered again.
 */
@Timeout(600)
class RetryAfterReplicaDeathTest {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @TempDir
    static Path folder;

    static final List<BerthServer> servers = new ArrayList<>();

    /** Replica A (which dies on demand) and replica B, on one store of each kind. */
    record Pair(String store, BerthServer dying, BerthServer healthy) {
        DyingStore.Fate fate() {
            return dying.context().getBean(DyingStore.Fate.class);
        }

        @Override
        public String toString() {
            return store;
        }
    }

    static Stream<Pair> stores() {
        if (servers.isEmpty()) {
            String[] noPurge = {"--berth.uploads.purge.enabled=false"};
            Path root = folder.resolve("store");
            servers.add(BerthServer.start(List.of(DyingStore.class), args(noPurge, "--berth.storage.backend=filesystem",
                    "--berth.storage.filesystem.root=" + root)));
            servers.add(BerthServer.startOnFilesystem(root, noPurge));
            servers.add(BerthServer.start(List.of(DyingStore.class), args(noPurge, Azurite.berthArgs("berth-death"))));
            servers.add(BerthServer.start(args(noPurge, Azurite.berthArgs("berth-death"))));
        }
        return Stream.of(new Pair("filesystem", servers.get(0), servers.get(1)),
                new Pair("azure", servers.get(2), servers.get(3)));
    }

    private static String[] args(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @AfterAll
    static void stop() {
        servers.forEach(BerthServer::close);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aCommitFinishesOnAnotherReplicaWhereverTheFirstDied(Pair pair) throws Exception {
        // How many store calls a commit makes, when nothing dies.
        String repository = "death/commit-" + pair.store();
        byte[] probe = randomBytes(300_000);
        String location = uploadWithoutCommit(pair.dying(), repository, probe);
        pair.fate().countCalls();
        assertThat(put(pair.dying(), location + "?digest=" + Sha256.digest(probe)).statusCode()).isEqualTo(201);
        int calls = pair.fate().calls();
        assertThat(calls).as("store calls of a commit").isGreaterThan(3);

        List<String> outcomes = new ArrayList<>();
        for (int k = 1; k <= calls; k++) {
            byte[] blob = randomBytes(300_000 + k);
            String digest = Sha256.digest(blob);
            String upload = uploadWithoutCommit(pair.dying(), repository, blob);
            pair.fate().dieAtCall(k);
            int died = put(pair.dying(), upload + "?digest=" + digest).statusCode();
            pair.fate().revive();

            HttpResponse<String> retried = put(pair.healthy(), upload + "?digest=" + digest);
            outcomes.add("k=" + k + ": first " + died + ", retry " + retried.statusCode());
            assertThat(retried.statusCode()).as("retry after death at call %d: %s", k, retried.body()).isEqualTo(201);
            assertThat(retried.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
            assertThat(get(pair.healthy(), "/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
            assertThat(get(pair.healthy(), upload).statusCode()).as("the upload after its commit").isEqualTo(404);
            // And once more: the answer to a commit that finished is the same.
            assertThat(put(pair.dying(), upload + "?digest=" + digest).statusCode()).isEqualTo(201);
        }
        System.out.println("commit on " + pair.store() + ", " + calls + " store calls: " + outcomes);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aManifestPushFinishesOnAnotherReplicaWhereverTheFirstDied(Pair pair) throws Exception {
        String repository = "death/manifest-" + pair.store();
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        String configDigest = Sha256.digest(config);
        assertThat(post(pair.healthy(), "/v2/" + repository + "/blobs/uploads/?digest=" + configDigest, config)
                .statusCode()).isEqualTo(201);
        String configDescriptor = "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest + "\",\"size\":2}";
        byte[] subject = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + configDescriptor
                + ",\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        assertThat(putManifest(pair.healthy(), repository, "subject", subject).statusCode()).isEqualTo(201);

        pair.fate().countCalls();
        assertThat(putManifest(pair.dying(), repository, "probe", artifact(configDescriptor, subject, 0)).statusCode())
                .isEqualTo(201);
        int calls = pair.fate().calls();

        for (int k = 1; k <= calls; k++) {
            byte[] manifest = artifact(configDescriptor, subject, k);
            String tag = "v" + k;
            pair.fate().dieAtCall(k);
            putManifest(pair.dying(), repository, tag, manifest);
            pair.fate().revive();

            HttpResponse<String> retried = putManifest(pair.healthy(), repository, tag, manifest);
            assertThat(retried.statusCode()).as("retry after death at call %d: %s", k, retried.body()).isEqualTo(201);
            assertThat(get(pair.healthy(), "/v2/" + repository + "/manifests/" + tag).body()).isEqualTo(manifest);
            assertThat(get(pair.healthy(), "/v2/" + repository + "/manifests/" + Sha256.digest(manifest)).body())
                    .isEqualTo(manifest);
            assertThat(new String(get(pair.healthy(), "/v2/" + repository + "/referrers/" + Sha256.digest(subject)).body(),
                    StandardCharsets.UTF_8)).contains(Sha256.digest(manifest));
        }
        System.out.println("manifest push on " + pair.store() + ": " + calls + " store calls, each a death survived");
    }

    private static byte[] artifact(String configDescriptor, byte[] subject, int n) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"application/x-death\","
                + "\"config\":" + configDescriptor + ",\"layers\":[],\"subject\":{\"mediaType\":\"" + OCI_MANIFEST
                + "\",\"digest\":\"" + Sha256.digest(subject) + "\",\"size\":" + subject.length
                + "},\"annotations\":{\"n\":\"" + n + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    /** Starts an upload and sends its data in two chunks, leaving the commit to the caller. */
    private static String uploadWithoutCommit(BerthServer berth, String repository, byte[] blob) throws Exception {
        HttpResponse<String> started = post(berth, "/v2/" + repository + "/blobs/uploads/", new byte[0]);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        int half = blob.length / 2;
        for (int[] range : new int[][] {{0, half}, {half, blob.length}}) {
            byte[] chunk = java.util.Arrays.copyOfRange(blob, range[0], range[1]);
            HttpResponse<String> patched = send(berth, "PATCH", location, chunk, "Content-Range",
                    range[0] + "-" + (range[1] - 1));
            assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
        }
        return location;
    }

    private static HttpResponse<String> put(BerthServer berth, String path) throws Exception {
        return send(berth, "PUT", path, new byte[0]);
    }

    private static HttpResponse<String> post(BerthServer berth, String path, byte[] body) throws Exception {
        return send(berth, "POST", path, body);
    }

    private static HttpResponse<String> putManifest(BerthServer berth, String repository, String reference,
            byte[] manifest) throws Exception {
        return send(berth, "PUT", "/v2/" + repository + "/manifests/" + reference, manifest, "Content-Type",
                OCI_MANIFEST);
    }

    private static HttpResponse<byte[]> get(BerthServer berth, String path) throws Exception {
        return Http.send("GET", berth.uri(path), null);
    }

    private static HttpResponse<String> send(BerthServer berth, String method, String path, byte[] body,
            String... headers) throws Exception {
        HttpRequest.Builder request = Http.request(method, berth.uri(path), body, headers);
        try {
            return Http.sendText(request);
        } catch (UncheckedIOException dead) {
            return new DeadAnswer(request.build(), dead.getCause());
        }
    }

    /** What a client sees of a replica that died mid-request: no answer at all (status 0). */
    private record DeadAnswer(HttpRequest request, IOException failure) implements HttpResponse<String> {
        @Override
        public int statusCode() {
            return 0;
        }

        @Override
        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true);
        }

        @Override
        public String body() {
            return failure.toString();
        }

        @Override
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return java.util.Optional.empty();
        }

        @Override
        public URI uri() {
            return request.uri();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
