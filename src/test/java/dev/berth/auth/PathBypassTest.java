package dev.berth.auth;

import static dev.berth.auth.AuthTesting.basic;
import static dev.berth.auth.AuthTesting.send;
import static dev.berth.auth.TestTokenIssuer.entry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.RawHttp;
import dev.berth.support.Sha256;
import dev.berth.support.StoreSnapshot;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/**
 * Paths that the servlet container rewrites before it serves them ({@code ;parameters}, escaped letters,
 * dot segments, doubled slashes) once let requests past access control onto another repository. Every such
 * path, sent with no credentials or with credentials for another repository, must be refused (400, 401 or
 * 404, with the registry's error body) and leave the store exactly as it was, in htpasswd and token mode.
 */
@Timeout(300)
class PathBypassTest {

    static final String USER = "alice";
    static final String PASSWORD = "pw-" + System.nanoTime();
    static final String SERVICE = "berth-bypass";

    @TempDir
    static Path work;

    static BerthServer htpasswd;
    static BerthServer token;
    static TestTokenIssuer issuer;
    static String privateLayer;

    @BeforeAll
    static void start() throws IOException {
        Path file = work.resolve("htpasswd");
        Files.writeString(file, USER + ":" + new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 4)
                .encode(PASSWORD) + "\n");
        htpasswd = BerthServer.startOnFilesystem(work.resolve("htpasswd-store"), "--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + file, "--berth.auth.login-throttle.max-failures=0");
        issuer = new TestTokenIssuer(work, Map.of("admin", "admin-pw"), (user, access) -> user.equals("admin"));
        token = BerthServer.startOnFilesystem(work.resolve("token-store"), "--berth.auth.mode=token",
                "--berth.auth.token.realm=" + issuer.realm(), "--berth.auth.token.service=" + SERVICE,
                "--berth.auth.token.issuer=" + TestTokenIssuer.ISSUER,
                "--berth.auth.token.jwks=" + issuer.jwksFile);
        for (BerthServer berth : List.of(htpasswd, token)) {
            String auth = admin(berth);
            privateLayer = push(berth, auth, "team/private", "a private layer".getBytes(StandardCharsets.UTF_8));
            push(berth, auth, "secret", "a secret".getBytes(StandardCharsets.UTF_8));
            String config = push(berth, auth, "team/v2/app", "{}".getBytes(StandardCharsets.UTF_8));
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                    + "\",\"size\":2},\"layers\":[]}";
            HttpResponse<String> tagged = send("PUT", berth.uri("/v2/team/v2/app/manifests/1.0"), auth,
                    manifest.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/vnd.oci.image.manifest.v1+json");
            assertThat(tagged.statusCode()).as(tagged.body()).isEqualTo(201);
        }
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {htpasswd, token, issuer}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    private static String admin(BerthServer berth) {
        return berth == htpasswd ? basic(USER, PASSWORD)
                : TokenAuthTest.bearerFrom(issuer, SERVICE, "admin", List.of(
                        entry("repository", "team/private", "pull", "push", "delete"),
                        entry("repository", "secret", "pull", "push"),
                        entry("repository", "team/v2/app", "pull", "push", "delete")));
    }

    private static String push(BerthServer berth, String auth, String repository, byte[] content) {
        String digest = Sha256.digest(content);
        HttpResponse<String> pushed = send("POST", berth.uri("/v2/" + repository + "/blobs/uploads/?digest=" + digest),
                auth, content);
        assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(201);
        return digest;
    }

    /** The attacks seen against earlier builds, verbatim. */
    static List<String[]> knownAttacks() {
        String mount = "?mount=" + privateLayer + "&from=team/private";
        return List.of(
                new String[] {"POST", "/;a/v2/secret/blobs/uploads/"},
                new String[] {"GET", "/;a/v2/secret/tags/list"},
                new String[] {"GET", "/%762/secret/tags/list"},
                new String[] {"DELETE", "/;abteam/v2/app/manifests/1.0"},
                new String[] {"POST", "/;a/v2/loot/blobs/uploads/" + mount},
                new String[] {"GET", "/;a/v2/loot/blobs/" + privateLayer},
                new String[] {"GET", "/;a/v2/team/private/blobs/" + privateLayer});
    }

    /** Every route, each mutated in every way a container rewrites a path. */
    static List<String[]> generatedVariants() {
        String id = "01234567-89ab-7cde-8f01-234567890abc";
        List<String[]> routes = List.of(
                new String[] {"GET", "/v2/team/private/tags/list"},
                new String[] {"GET", "/v2/team/private/manifests/1.0"},
                new String[] {"HEAD", "/v2/team/private/manifests/1.0"},
                new String[] {"PUT", "/v2/team/private/manifests/1.0"},
                new String[] {"DELETE", "/v2/team/v2/app/manifests/1.0"},
                new String[] {"GET", "/v2/team/private/blobs/" + privateLayer},
                new String[] {"HEAD", "/v2/team/private/blobs/" + privateLayer},
                new String[] {"DELETE", "/v2/team/private/blobs/" + privateLayer},
                new String[] {"POST", "/v2/team/private/blobs/uploads/"},
                new String[] {"PATCH", "/v2/team/private/blobs/uploads/" + id},
                new String[] {"PUT", "/v2/team/private/blobs/uploads/" + id + "?digest=" + privateLayer},
                new String[] {"GET", "/v2/team/private/blobs/uploads/" + id},
                new String[] {"DELETE", "/v2/team/private/blobs/uploads/" + id},
                new String[] {"GET", "/v2/team/private/referrers/" + privateLayer},
                new String[] {"GET", "/v2/_catalog"});
        List<String[]> variants = new ArrayList<>();
        for (String[] route : routes) {
            String target = route[1];
            int query = target.indexOf('?');
            String path = query < 0 ? target : target.substring(0, query);
            String rest = query < 0 ? "" : target.substring(query);
            String[] segments = path.substring(1).split("/");
            for (int i = 0; i < segments.length; i++) {
                for (String mutated : mutations(segments[i])) {
                    String[] copy = segments.clone();
                    copy[i] = mutated;
                    variants.add(new String[] {route[0], "/" + String.join("/", copy) + rest});
                }
                String[] before = segments.clone();
                before[i] = "./" + segments[i];
                variants.add(new String[] {route[0], "/" + String.join("/", before) + rest});
                before[i] = "x/../" + segments[i];
                variants.add(new String[] {route[0], "/" + String.join("/", before) + rest});
                before[i] = "/" + segments[i];
                variants.add(new String[] {route[0], "/" + String.join("/", before) + rest});
            }
            variants.add(new String[] {route[0], "/;x" + path + rest});
            variants.add(new String[] {route[0], "/." + path + rest});
            variants.add(new String[] {route[0], path + "/." + rest});
        }
        return variants;
    }

    /** A segment with a path parameter, with its first letter escaped, with a trailing dot segment. */
    private static List<String> mutations(String segment) {
        List<String> mutated = new ArrayList<>();
        mutated.add(segment + ";x=1");
        mutated.add(segment + ";");
        char first = segment.charAt(0);
        mutated.add(String.format("%%%02X", (int) first) + segment.substring(1));
        mutated.add(String.format("%%%02x", (int) first) + segment.substring(1));
        if (segment.length() > 1) {
            char last = segment.charAt(segment.length() - 1);
            mutated.add(segment.substring(0, segment.length() - 1) + String.format("%%%02X", (int) last));
        }
        return mutated;
    }

    @Test
    void rewrittenPathsAreRefusedAndChangeNothingInHtpasswdMode() {
        assertAllRefused(htpasswd, null);
        assertAllRefused(htpasswd, basic("mallory", "guess"));
    }

    @Test
    void rewrittenPathsAreRefusedAndChangeNothingInTokenMode() {
        assertAllRefused(token, null);
        // A valid token, for another repository only: a rewritten path must not reach team/private with it.
        assertAllRefused(token, TokenAuthTest.bearerFrom(issuer, SERVICE, "someone",
                List.of(entry("repository", "loot", "pull", "push"), entry("repository", "2/secret", "pull"))));
    }

    private static void assertAllRefused(BerthServer berth, String authorization) {
        Path store = work.resolve(berth == htpasswd ? "htpasswd-store" : "token-store");
        Map<String, String> before = StoreSnapshot.of(store);
        List<String[]> requests = Stream.concat(knownAttacks().stream(), generatedVariants().stream()).toList();
        List<String> offenders = new ArrayList<>();
        for (String[] request : requests) {
            String headers = authorization == null ? "" : "Authorization: " + authorization;
            boolean hasBody = List.of("POST", "PUT", "PATCH").contains(request[0]);
            RawHttp.Response response = RawHttp.send(berth.port(), request[0], request[1], headers,
                    hasBody ? "{}".getBytes(StandardCharsets.UTF_8) : null);
            boolean refused = response.status() == 400 || response.status() == 401 || response.status() == 404;
            boolean spoken = request[0].equals("HEAD") || response.body().startsWith("{\"errors\":[{\"code\":\"");
            if (!refused || !spoken) {
                offenders.add(request[0] + " " + request[1] + " -> " + response.status() + " " + response.body());
            }
        }
        assertThat(offenders).as("requests not refused with an error body, of %d sent", requests.size()).isEmpty();
        assertThat(StoreSnapshot.of(store)).as("the store after %d refused requests", requests.size()).isEqualTo(before);
    }
}
