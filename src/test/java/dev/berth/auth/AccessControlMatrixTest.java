package dev.berth.auth;

import static dev.berth.auth.AuthTesting.basic;
import static dev.berth.auth.AuthTesting.send;
import static dev.berth.auth.TestTokenIssuer.entry;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.berth.support.Azurite;
import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import dev.berth.support.StoreSnapshot;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/**
 * Every route and method of the API, sent by every kind of client that must be refused: anonymous, with
 * wrong or malformed credentials, with a token that is expired, signed by an unknown key or meant for
 * another registry, with a token that lacks the action, and with a token for another repository. Each
 * deployment (htpasswd and token mode on the filesystem store, and three token-mode replicas on one Azure
 * store, each request going to the next replica) must answer every one with 401 and the registry's error
 * body and challenge, and its store must be exactly as it was. Then every request is sent once more with
 * rights, in order, and must succeed: the table reaches real routes on real data, so a filter that let a
 * refused request through would change what the store holds.
 */
@Timeout(600)
class AccessControlMatrixTest {

    static final String ADMIN = "alice";
    static final String PASSWORD = "pw-" + System.nanoTime();
    static final String SERVICE = "berth-matrix";
    static final String REPO = "team/app";
    static final String PUBLIC = "public/app";
    static final String AZURE_CONTAINER = "access-matrix";

    @TempDir
    static Path work;

    static TestTokenIssuer issuer;
    static final List<BerthServer> servers = new ArrayList<>();
    /** Sizes of the blobs pushed, by digest, for the manifests' descriptors. */
    static final Map<String, Integer> SIZES = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    static void startIssuer() {
        issuer = new TestTokenIssuer(work, Map.of(ADMIN, PASSWORD), (user, access) -> user.equals(ADMIN));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : Stream.concat(servers.stream(), Stream.of(issuer)).toList()) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    @Test
    void htpasswdModeRefusesEveryRouteToEveryoneWithoutValidCredentials() throws IOException {
        Path file = work.resolve("htpasswd");
        Files.writeString(file, ADMIN + ":" + new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 4)
                .encode(PASSWORD) + "\n");
        Path store = work.resolve("htpasswd-store");
        BerthServer berth = started(BerthServer.startOnFilesystem(store, withCommon("--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + file)));
        String admin = basic(ADMIN, PASSWORD);
        String validToken = TokenAuthTest.bearerFrom(issuer, SERVICE, ADMIN, fullRights());
        List<Identity> identities = List.of(
                Identity.invalid("anonymous", null),
                Identity.invalid("wrong password", basic(ADMIN, "not-" + PASSWORD)),
                Identity.invalid("unknown user", basic("mallory", PASSWORD)),
                Identity.invalid("empty password", basic(ADMIN, "")),
                Identity.invalid("malformed Basic", "Basic !!not-base64!!"),
                Identity.invalid("Basic without a colon", "Basic " + java.util.Base64.getEncoder()
                        .encodeToString(ADMIN.getBytes(StandardCharsets.UTF_8))),
                Identity.invalid("a bearer token", validToken));
        assertMatrix(new Deployment("htpasswd", List.of(berth), admin, () -> StoreSnapshot.of(store)), identities,
                false);
    }

    @Test
    void tokenModeRefusesEveryRouteToEveryoneWithoutTheRightToken() throws Exception {
        Path store = work.resolve("token-store");
        BerthServer berth = started(BerthServer.startOnFilesystem(store, tokenArgs()));
        assertMatrix(new Deployment("token", List.of(berth), admin(), () -> StoreSnapshot.of(store)),
                tokenIdentities(), true);
    }

    @Test
    @Tag("azurite")
    void threeReplicasOnOneAzureStoreRefuseEveryRouteWhicheverReplicaIsAsked() throws Exception {
        List<BerthServer> replicas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> args = new ArrayList<>(List.of(Azurite.berthArgs(AZURE_CONTAINER)));
            args.addAll(List.of(tokenArgs()));
            replicas.add(started(BerthServer.start(args.toArray(String[]::new))));
        }
        assertMatrix(new Deployment("three replicas", replicas, admin(), AccessControlMatrixTest::azureSnapshot),
                tokenIdentities(), true);
    }

    private static String[] tokenArgs() {
        return withCommon("--berth.auth.mode=token", "--berth.auth.token.realm=" + issuer.realm(),
                "--berth.auth.token.service=" + SERVICE, "--berth.auth.token.issuer=" + TestTokenIssuer.ISSUER,
                "--berth.auth.token.jwks=" + issuer.jwksFile);
    }

    /** Anonymous pulls allowed on public/**, so that its writes test the anonymous rule's limits. */
    private static String[] withCommon(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--berth.auth.anonymous-pull=public/**", "--berth.auth.login-throttle.max-failures=0",
                "--berth.uploads.purge.enabled=false"));
        return all.toArray(String[]::new);
    }

    private static BerthServer started(BerthServer server) {
        servers.add(server);
        return server;
    }

    private static String admin() {
        return TokenAuthTest.bearerFrom(issuer, SERVICE, ADMIN, fullRights());
    }

    private static List<Map<String, Object>> fullRights() {
        return List.of(entry("repository", REPO, "pull", "push", "delete"), entry("repository", "team/copy", "push"),
                entry("repository", PUBLIC, "pull", "push", "delete"), entry("registry", "catalog", "*"));
    }

    private static List<Identity> tokenIdentities() throws Exception {
        RSAKey stranger = new RSAKeyGenerator(2048).keyID(issuer.rsa.getKeyID()).generate();
        return List.of(
                Identity.invalid("anonymous", null),
                Identity.invalid("a token that is not a JWT", "Bearer not.a.token"),
                Identity.invalid("an expired token", "Bearer "
                        + TestTokenIssuer.sign(issuer.rsa, ADMIN, SERVICE, fullRights(), Duration.ofMinutes(-10))),
                Identity.invalid("a token signed by an unknown key with a known key id", "Bearer "
                        + TestTokenIssuer.sign(stranger, ADMIN, SERVICE, fullRights(), Duration.ofMinutes(5))),
                Identity.invalid("a token for another registry", "Bearer "
                        + TestTokenIssuer.sign(issuer.rsa, ADMIN, "another-registry", fullRights(), Duration.ofMinutes(5))),
                Identity.invalid("a token from another issuer", "Bearer " + TestTokenIssuer.sign(issuer.rsa,
                        "another-issuer", ADMIN, SERVICE, fullRights(), Duration.ofMinutes(5))),
                Identity.invalid("the token server's password as Basic", basic(ADMIN, PASSWORD)),
                new Identity("a token lacking the action", row -> TokenAuthTest.bearerFrom(issuer, SERVICE, "narrow",
                        List.of(entry("repository", row.repository(), row.allBut()))), true),
                new Identity("a token for another repository", row -> TokenAuthTest.bearerFrom(issuer, SERVICE, "other",
                        List.of(entry("repository", "team/other", "pull", "push", "delete"),
                                entry("repository", "public/other", "pull", "push", "delete"))), true));
    }

    /** One request of the table: what it needs, and what it answers when sent with rights. */
    record Row(String method, String target, byte[] body, String contentType, String repository, String action,
            int okStatus) {

        /** Every action on the repository except the one this request needs. */
        String[] allBut() {
            return Stream.of("pull", "push", "delete").filter(a -> !a.equals(action)).toArray(String[]::new);
        }

        boolean needsOnlyValidCredentials() {
            return action.equals("none");
        }

        @Override
        public String toString() {
            return method + " " + target;
        }
    }

    /** Who sends a request: an Authorization header per row; {@code narrow} when it is valid but too narrow. */
    record Identity(String label, Function<Row, String> authorization, boolean narrow) {

        static Identity invalid(String label, String authorization) {
            return new Identity(label, row -> authorization, false);
        }
    }

    record Deployment(String name, List<BerthServer> replicas, String admin, Supplier<Map<String, String>> snapshot) {
    }

    private static void assertMatrix(Deployment deployment, List<Identity> identities, boolean tokenMode) {
        List<Row> rows = seedAndDescribe(deployment);
        Map<String, String> before = deployment.snapshot().get();
        assertThat(before).as("the seeded store").isNotEmpty();
        List<String> offenders = new ArrayList<>();
        int cases = 0;
        int next = 0;
        for (Identity identity : identities) {
            for (Row row : rows) {
                if (identity.narrow() && row.needsOnlyValidCredentials()) {
                    continue;
                }
                boolean anonymousOrNarrow = identity.narrow() || identity.authorization().apply(row) == null;
                if (anonymousOrNarrow && row.repository().equals(PUBLIC) && row.action().equals("pull")) {
                    continue; // anyone may pull public/**
                }
                BerthServer replica = deployment.replicas().get(next++ % deployment.replicas().size());
                HttpResponse<String> response = send(row, replica, identity.authorization().apply(row));
                cases++;
                String problem = refusalProblem(response, row, identity, tokenMode);
                if (problem != null) {
                    offenders.add(identity.label() + ": " + row + " -> " + response.statusCode() + " " + problem);
                }
            }
        }
        System.out.printf("%s: %d refused requests (%d routes x methods, %d identities)%n", deployment.name(), cases,
                rows.size(), identities.size());
        assertThat(offenders).as("%s: requests not refused as the protocol says, of %d", deployment.name(), cases)
                .isEmpty();
        assertThat(deployment.snapshot().get()).as("%s: the store after %d refused requests", deployment.name(), cases)
                .isEqualTo(before);

        // The same table with rights: every request reaches its route and works.
        for (Row row : rows) {
            BerthServer replica = deployment.replicas().get(next++ % deployment.replicas().size());
            HttpResponse<String> response = send(row, replica, deployment.admin());
            assertThat(response.statusCode()).as("%s with rights on %s: %s", row, deployment.name(), response.body())
                    .isEqualTo(row.okStatus());
        }
        HttpResponse<String> anonymousPull = send("GET", deployment.replicas().get(0), "/v2/" + PUBLIC + "/tags/list",
                null, null, null);
        assertThat(anonymousPull.statusCode()).as("anonymous pull of public/**: %s", anonymousPull.body())
                .isEqualTo(200);
    }

    private static String refusalProblem(HttpResponse<String> response, Row row, Identity identity, boolean tokenMode) {
        if (response.statusCode() != 401) {
            return "expected 401: " + response.body();
        }
        if (!row.method().equals("HEAD") && !response.body().startsWith("{\"errors\":[{\"code\":\"UNAUTHORIZED\"")) {
            return "not the registry's error body: " + response.body();
        }
        String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
        if (!challenge.startsWith(tokenMode ? "Bearer realm=\"" : "Basic realm=\"")) {
            return "challenge " + challenge;
        }
        if (tokenMode && identity.narrow() && !challenge.contains("error=\"insufficient_scope\"")) {
            return "a valid but narrow token must be told insufficient_scope: " + challenge;
        }
        if (tokenMode && !identity.narrow() && identity.authorization().apply(row) != null
                && !challenge.contains("error=\"invalid_token\"")) {
            return "invalid credentials must be told invalid_token: " + challenge;
        }
        if (tokenMode && !row.needsOnlyValidCredentials() && !challenge.contains("scope=\"")) {
            return "the challenge must name the scope needed: " + challenge;
        }
        return null;
    }

    /**
     * Seeds the repositories with a tagged image, a referrer and two uploads in progress, and returns the
     * table in an order in which each request, sent with rights, succeeds.
     */
    private static List<Row> seedAndDescribe(Deployment deployment) {
        BerthServer first = deployment.replicas().get(0);
        String admin = deployment.admin();
        String layer = push(first, admin, REPO, ("a private layer " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
        String config = push(first, admin, REPO, "{}".getBytes(StandardCharsets.UTF_8));
        push(first, admin, PUBLIC, "{}".getBytes(StandardCharsets.UTF_8));
        String publicLayer = push(first, admin, PUBLIC, ("a public layer " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
        String manifest = manifest(config, layer, null, null);
        String manifestDigest = Sha256.digest(manifest.getBytes(StandardCharsets.UTF_8));
        put(first, admin, REPO, "1.0", manifest);
        String referrer = manifest(config, layer, null, manifestDigest + " " + manifest.length());
        put(first, admin, REPO, Sha256.digest(referrer.getBytes(StandardCharsets.UTF_8)), referrer);
        put(first, admin, PUBLIC, "1.0", manifest(config, publicLayer, null, null));
        String writing = startUpload(first, admin, REPO);
        String idle = startUpload(first, admin, REPO);
        byte[] chunk = ("more bytes " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> patched = send("PATCH", first, writing, admin, "first bytes".getBytes(StandardCharsets.UTF_8),
                "application/octet-stream");
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
        byte[] whole = ("first bytes" + new String(chunk, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        byte[] newBlob = ("a new blob " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        byte[] newManifest = manifest(config, layer, "2", null).getBytes(StandardCharsets.UTF_8);
        byte[] newPublicManifest = manifest(config, publicLayer, "2", null).getBytes(StandardCharsets.UTF_8);
        String octet = "application/octet-stream";
        String oci = "application/vnd.oci.image.manifest.v1+json";
        String repo = "/v2/" + REPO;
        String pub = "/v2/" + PUBLIC;
        return List.of(
                new Row("GET", "/v2/", null, null, REPO, "none", 200),
                new Row("GET", "/v2/_catalog", null, null, REPO, "catalog", 200),
                new Row("GET", repo + "/tags/list", null, null, REPO, "pull", 200),
                new Row("GET", repo + "/tags/list?n=1", null, null, REPO, "pull", 200),
                new Row("GET", repo + "/manifests/1.0", null, null, REPO, "pull", 200),
                new Row("HEAD", repo + "/manifests/1.0", null, null, REPO, "pull", 200),
                new Row("GET", repo + "/manifests/" + manifestDigest, null, null, REPO, "pull", 200),
                new Row("HEAD", repo + "/manifests/" + manifestDigest, null, null, REPO, "pull", 200),
                new Row("GET", repo + "/blobs/" + layer, null, null, REPO, "pull", 200),
                new Row("HEAD", repo + "/blobs/" + layer, null, null, REPO, "pull", 200),
                new Row("GET", repo + "/blobs/" + manifestDigest, null, null, REPO, "pull", 200),
                new Row("GET", repo + "/referrers/" + manifestDigest, null, null, REPO, "pull", 200),
                new Row("GET", idle, null, null, REPO, "pull", 204),
                new Row("PATCH", writing, chunk, octet, REPO, "push", 202),
                new Row("PUT", writing + (writing.contains("?") ? "&" : "?") + "digest=" + Sha256.digest(whole), null,
                        null, REPO, "push", 201),
                new Row("DELETE", idle, null, null, REPO, "delete", 204),
                new Row("POST", repo + "/blobs/uploads/", null, null, REPO, "push", 202),
                new Row("POST", repo + "/blobs/uploads/?digest=" + Sha256.digest(newBlob), newBlob, octet, REPO, "push",
                        201),
                new Row("POST", "/v2/team/copy/blobs/uploads/?mount=" + layer + "&from=" + REPO, null, null,
                        "team/copy", "push", 201),
                new Row("PUT", repo + "/manifests/2.0", newManifest, oci, REPO, "push", 201),
                new Row("PUT", pub + "/manifests/2.0", newPublicManifest, oci, PUBLIC, "push", 201),
                new Row("POST", pub + "/blobs/uploads/?digest=" + Sha256.digest(newBlob), newBlob, octet, PUBLIC,
                        "push", 201),
                new Row("GET", pub + "/blobs/" + publicLayer, null, null, PUBLIC, "pull", 200),
                new Row("DELETE", pub + "/manifests/1.0", null, null, PUBLIC, "delete", 202),
                new Row("DELETE", pub + "/blobs/" + publicLayer, null, null, PUBLIC, "delete", 202),
                new Row("DELETE", repo + "/manifests/1.0", null, null, REPO, "delete", 202),
                new Row("DELETE", repo + "/manifests/" + manifestDigest, null, null, REPO, "delete", 202),
                new Row("DELETE", repo + "/blobs/" + layer, null, null, REPO, "delete", 202));
    }

    /** An image manifest of the config and layer; {@code subject} is "digest size" for a referrer. */
    private static String manifest(String config, String layer, String annotation, String subject) {
        return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                + "\",\"size\":" + SIZES.get(config) + "},"
                + (subject == null ? "" : "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"digest\":\"" + subject.split(" ")[0] + "\",\"size\":" + subject.split(" ")[1]
                        + "},\"artifactType\":\"application/x.berth.test\",")
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer
                + "\",\"size\":" + SIZES.get(layer) + "}]"
                + (annotation == null ? "" : ",\"annotations\":{\"n\":\"" + annotation + "\"}") + "}";
    }

    private static String push(BerthServer berth, String admin, String repository, byte[] content) {
        String digest = Sha256.digest(content);
        SIZES.put(digest, content.length);
        HttpResponse<String> pushed = send("POST", berth, "/v2/" + repository + "/blobs/uploads/?digest=" + digest,
                admin, content, "application/octet-stream");
        assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(201);
        return digest;
    }

    private static void put(BerthServer berth, String admin, String repository, String reference, String manifest) {
        HttpResponse<String> put = send("PUT", berth, "/v2/" + repository + "/manifests/" + reference, admin,
                manifest.getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.manifest.v1+json");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    }

    /** Starts an upload; returns its location as a path (with the query Berth gave it, if any). */
    private static String startUpload(BerthServer berth, String admin, String repository) {
        HttpResponse<String> started = send("POST", berth, "/v2/" + repository + "/blobs/uploads/", admin, null, null);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        String path = location.startsWith("http") ? location.substring(location.indexOf('/', location.indexOf("//") + 2))
                : location;
        return path;
    }

    private static HttpResponse<String> send(Row row, BerthServer replica, String authorization) {
        return send(row.method(), replica, row.target(), authorization, row.body(), row.contentType());
    }

    private static HttpResponse<String> send(String method, BerthServer berth, String target, String authorization,
            byte[] body, String contentType) {
        String[] headers = contentType == null ? new String[0] : new String[] {"Content-Type", contentType};
        return AuthTesting.send(method, berth.uri(target), authorization, body, headers);
    }

    /** Every blob of the Azure container, committed or not, with its ETag and size (health probes left out). */
    private static Map<String, String> azureSnapshot() {
        BlobContainerClient client = new BlobContainerClientBuilder()
                .connectionString(Azurite.get().getConnectionString()).containerName(AZURE_CONTAINER).buildClient();
        Map<String, String> blobs = new TreeMap<>();
        for (BlobItem item : client.listBlobs(new ListBlobsOptions().setMaxResultsPerPage(5000)
                .setDetails(new BlobListDetails().setRetrieveUncommittedBlobs(true)), null)) {
            if (!item.getName().startsWith("berth/health")) {
                blobs.put(item.getName(), item.getProperties().getETag() + " " + item.getProperties().getContentLength());
            }
        }
        return blobs;
    }
}
