package dev.berth.auth;

import static dev.berth.auth.AuthTesting.assertError;
import static dev.berth.auth.AuthTesting.basic;
import static dev.berth.auth.AuthTesting.get;
import static dev.berth.auth.AuthTesting.send;
import static dev.berth.auth.TestTokenIssuer.entry;
import static dev.berth.auth.TestTokenIssuer.sign;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.berth.clients.Commands;
import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code berth.auth.mode=token}: Docker token authentication against a token server of the test's own. */
@Timeout(180)
class TokenAuthTest {

    static final String SERVICE = "berth-test";
    static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    @TempDir
    static Path work;

    static TestTokenIssuer issuer;
    static BerthServer berth;

    @BeforeAll
    static void start() {
        // admin may do anything; dev may pull and push team/**; nobody else is known.
        issuer = new TestTokenIssuer(work, Map.of("admin", "admin-pw", "dev", "dev-pw"), (user, access) ->
                user.equals("admin") || access.matches("repository:team/[^:]+:(pull|push)"));
        berth = BerthServer.startOnFilesystem(work.resolve("store"), "--berth.auth.mode=token",
                "--berth.auth.token.realm=" + issuer.realm(), "--berth.auth.token.service=" + SERVICE,
                "--berth.auth.token.issuer=" + TestTokenIssuer.ISSUER,
                "--berth.auth.token.jwks=" + issuer.jwksFile,
                "--berth.auth.token.certificates=" + issuer.pemFile,
                "--berth.auth.token.clock-skew=5s",
                "--berth.auth.anonymous-pull=public/**");
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    static String bearer(List<Map<String, Object>> access) {
        return bearerFrom(issuer, SERVICE, "tester", access);
    }

    /** A valid token of {@code issuer} for {@code service}, granting {@code access} to {@code subject}. */
    static String bearerFrom(TestTokenIssuer issuer, String service, String subject, List<Map<String, Object>> access) {
        return "Bearer " + sign(issuer.rsa, subject, service, access, Duration.ofMinutes(5));
    }

    static Map<String, String> challenge(HttpResponse<String> response) {
        String header = response.headers().firstValue("WWW-Authenticate").orElseThrow();
        assertThat(header).startsWith("Bearer ");
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(header);
        while (m.find()) {
            params.put(m.group(1), m.group(2));
        }
        return params;
    }

    /** What docker does on a 401: ask the realm for a token of the challenge's scope, then retry with it. */
    static HttpResponse<String> withTokenFlow(String method, URI uri, String user, String password, byte[] body) {
        HttpResponse<String> first = send(method, uri, null, body);
        assertError(first, 401, "UNAUTHORIZED");
        Map<String, String> params = challenge(first);
        String tokenUrl = params.get("realm") + "?service=" + URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)
                + (params.containsKey("scope") ? "&scope=" + URLEncoder.encode(params.get("scope"), StandardCharsets.UTF_8) : "");
        HttpResponse<String> token = get(URI.create(tokenUrl), user == null ? null : basic(user, password));
        assertThat(token.statusCode()).isEqualTo(200);
        String jwt = AuthTesting.JSON.readTree(token.body()).path("token").asString();
        return send(method, uri, "Bearer " + jwt, body);
    }

    @Test
    void baseRouteChallengesWithoutScopeAndAcceptsAnyValidToken() {
        HttpResponse<String> response = get(berth.uri("/v2/"), null);
        assertError(response, 401, "UNAUTHORIZED");
        assertThat(challenge(response)).containsEntry("realm", issuer.realm()).containsEntry("service", SERVICE)
                .doesNotContainKey("scope");
        assertThat(get(berth.uri("/v2/"), bearer(List.of())).statusCode()).isEqualTo(200);
    }

    @Test
    void challengeTokenRetryFlowForPullAndPush() {
        HttpResponse<String> pullChallenge = get(berth.uri("/v2/team/flow/tags/list"), null);
        assertThat(challenge(pullChallenge)).containsEntry("scope", "repository:team/flow:pull");
        HttpResponse<String> pushChallenge = send("POST", berth.uri("/v2/team/flow/blobs/uploads/"), null, new byte[0]);
        assertThat(challenge(pushChallenge)).containsEntry("scope", "repository:team/flow:pull,push");
        HttpResponse<String> deleteChallenge = send("DELETE", berth.uri("/v2/team/flow/manifests/sha256:"
                + "0".repeat(64)), null, null);
        assertThat(challenge(deleteChallenge)).containsEntry("scope", "repository:team/flow:delete");
        HttpResponse<String> catalogChallenge = get(berth.uri("/v2/_catalog"), null);
        assertThat(challenge(catalogChallenge)).containsEntry("scope", "registry:catalog:*");

        // dev gets a token for team/flow and may start an upload, then read the (still empty) repository.
        HttpResponse<String> upload = withTokenFlow("POST", berth.uri("/v2/team/flow/blobs/uploads/"), "dev", "dev-pw",
                new byte[0]);
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(202);
        assertError(withTokenFlow("GET", berth.uri("/v2/team/flow/tags/list"), "dev", "dev-pw", null), 404, "NAME_UNKNOWN");
        // dev's token server grants nothing on other/*: the retry is refused, naming the scope it lacks.
        HttpResponse<String> refused = withTokenFlow("GET", berth.uri("/v2/other/app/tags/list"), "dev", "dev-pw", null);
        assertError(refused, 401, "UNAUTHORIZED");
        assertThat(challenge(refused)).containsEntry("error", "insufficient_scope")
                .containsEntry("scope", "repository:other/app:pull");
        // An anonymous token (no credentials at the token server) grants nothing either.
        assertError(withTokenFlow("GET", berth.uri("/v2/team/flow/tags/list"), null, null, null), 401, "UNAUTHORIZED");
        assertThat(issuer.requestedScopes).contains("repository:team/flow:pull,push", "repository:other/app:pull");
    }

    @Test
    void notBeforeAndExpiryAllowTheConfiguredClockSkewAndNoMore() {
        List<Map<String, Object>> pull = List.of(entry("repository", "team/app", "pull"));
        URI uri = berth.uri("/v2/team/app/tags/list");
        java.time.Instant now = java.time.Instant.now();
        // clock-skew is 5 s here: a token server 2 s ahead of Berth, or a token 2 s past its expiry, is fine.
        assertError(get(uri, "Bearer " + TestTokenIssuer.sign(issuer.rsa, TestTokenIssuer.ISSUER, "t", SERVICE, pull,
                now.plusSeconds(2), now.plusSeconds(300))), 404, "NAME_UNKNOWN");
        assertError(get(uri, "Bearer " + TestTokenIssuer.sign(issuer.rsa, TestTokenIssuer.ISSUER, "t", SERVICE, pull,
                now.minusSeconds(300), now.minusSeconds(2))), 404, "NAME_UNKNOWN");
        // Half a minute is not (the library's own default would allow a minute).
        for (String token : List.of(
                TestTokenIssuer.sign(issuer.rsa, TestTokenIssuer.ISSUER, "t", SERVICE, pull, now.plusSeconds(30),
                        now.plusSeconds(300)),
                TestTokenIssuer.sign(issuer.rsa, TestTokenIssuer.ISSUER, "t", SERVICE, pull, now.minusSeconds(300),
                        now.minusSeconds(30)))) {
            HttpResponse<String> refused = get(uri, "Bearer " + token);
            assertError(refused, 401, "UNAUTHORIZED");
            assertThat(challenge(refused)).containsEntry("error", "invalid_token");
        }
    }

    @Test
    void invalidTokensAreRefusedWithChallenge() throws Exception {
        List<Map<String, Object>> pull = List.of(entry("repository", "team/app", "pull"));
        URI uri = berth.uri("/v2/team/app/tags/list");
        assertError(get(uri, "Bearer " + sign(issuer.rsa, "t", SERVICE, pull, Duration.ofMinutes(5))), 404, "NAME_UNKNOWN");
        // Signed by the PEM-configured EC key: accepted too.
        assertError(get(uri, "Bearer " + sign(issuer.ec, "t", SERVICE, pull, Duration.ofMinutes(5))), 404, "NAME_UNKNOWN");

        String expired = sign(issuer.rsa, "t", SERVICE, pull, Duration.ofMinutes(-2));
        HttpResponse<String> response = get(uri, "Bearer " + expired);
        assertError(response, 401, "UNAUTHORIZED");
        assertThat(challenge(response)).containsEntry("scope", "repository:team/app:pull");

        RSAKey impostor = new RSAKeyGenerator(2048).keyID(issuer.rsa.getKeyID()).generate();
        assertError(get(uri, "Bearer " + sign(impostor, "t", SERVICE, pull, Duration.ofMinutes(5))), 401, "UNAUTHORIZED");
        assertError(get(uri, "Bearer " + sign(issuer.rsa, "t", "another-registry", pull, Duration.ofMinutes(5))),
                401, "UNAUTHORIZED");
        assertError(get(uri, "Bearer " + sign(issuer.rsa, "someone-else", "t", SERVICE, pull, Duration.ofMinutes(5))),
                401, "UNAUTHORIZED");
        assertError(get(uri, "Bearer not.a.jwt"), 401, "UNAUTHORIZED");
        assertError(get(uri, "Bearer"), 401, "UNAUTHORIZED");
        assertError(get(uri, basic("admin", "admin-pw")), 401, "UNAUTHORIZED");
    }

    @Test
    void accessIsCheckedPerRepositoryAndAction() {
        String pushA = bearer(List.of(entry("repository", "team/a", "push")));
        assertThat(send("POST", berth.uri("/v2/team/a/blobs/uploads/"), pushA, new byte[0]).statusCode()).isEqualTo(202);
        assertError(send("POST", berth.uri("/v2/team/b/blobs/uploads/"), pushA, new byte[0]), 401, "UNAUTHORIZED");
        assertError(get(berth.uri("/v2/team/a/tags/list"), pushA), 401, "UNAUTHORIZED");

        String pullOnly = bearer(List.of(entry("repository", "team/a", "pull")));
        assertError(get(berth.uri("/v2/team/a/tags/list"), pullOnly), 404, "NAME_UNKNOWN");
        assertError(send("POST", berth.uri("/v2/team/a/blobs/uploads/"), pullOnly, new byte[0]), 401, "UNAUTHORIZED");
        assertError(send("PUT", berth.uri("/v2/team/a/manifests/v1"), pullOnly, "{}".getBytes()), 401, "UNAUTHORIZED");
        HttpResponse<String> denied = send("DELETE", berth.uri("/v2/team/a/manifests/v1"),
                bearer(List.of(entry("repository", "team/a", "pull", "push"))), null);
        assertError(denied, 401, "UNAUTHORIZED");
        assertThat(challenge(denied)).containsEntry("error", "insufficient_scope");
        assertError(send("DELETE", berth.uri("/v2/team/a/manifests/v1"),
                bearer(List.of(entry("repository", "team/a", "*"))), null), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void catalogNeedsCatalogScope() {
        assertError(get(berth.uri("/v2/_catalog"), bearer(List.of(entry("repository", "team/a", "pull")))), 401, "UNAUTHORIZED");
        HttpResponse<String> catalog = get(berth.uri("/v2/_catalog"), bearer(List.of(entry("registry", "catalog", "*"))));
        assertThat(catalog.statusCode()).isEqualTo(200);
        assertThat(catalog.body()).contains("repositories");
    }

    @Test
    void anonymousPullOnConfiguredRepositories() {
        assertError(get(berth.uri("/v2/public/base/tags/list"), null), 404, "NAME_UNKNOWN");
        assertError(send("POST", berth.uri("/v2/public/base/blobs/uploads/"), null, new byte[0]), 401, "UNAUTHORIZED");
    }

    @Test
    void mountWithoutPullOnSourceFallsBackToUpload() throws Exception {
        byte[] blob = ("mount me " + Commands.randomSuffix()).getBytes(StandardCharsets.UTF_8);
        String digest = Sha256.digest(blob);
        String admin = bearer(List.of(entry("repository", "team/src", "pull", "push")));
        assertThat(send("POST", berth.uri("/v2/team/src/blobs/uploads/?digest=" + digest), admin, blob).statusCode())
                .isEqualTo(201);

        URI mount = berth.uri("/v2/team/dst/blobs/uploads/?mount=" + digest + "&from=team/src");
        HttpResponse<String> fallback = send("POST", mount, bearer(List.of(entry("repository", "team/dst", "pull", "push"))),
                new byte[0]);
        assertThat(fallback.statusCode()).as("no pull on team/src: an ordinary upload").isEqualTo(202);
        assertThat(fallback.headers().firstValue("Location")).isPresent();

        HttpResponse<String> mounted = send("POST", mount, bearer(List.of(entry("repository", "team/dst", "pull", "push"),
                entry("repository", "team/src", "pull"))), new byte[0]);
        assertThat(mounted.statusCode()).as("pull on team/src: mounted").isEqualTo(201);
    }

    @Test
    void dockerLoginPushAndPullThroughTheTokenServer() throws IOException {
        Commands.requireDockerDaemon();
        Path config = Files.createDirectories(work.resolve("docker-config"));
        String host = berth.hostAndPort();
        String image = host + "/team/token-" + Commands.randomSuffix() + ":v1";
        String denied = host + "/other/token-" + Commands.randomSuffix() + ":v1";
        String imageId = null;
        try {
            Commands.Result login = AuthTesting.docker(config, "dev-pw\n", Duration.ofSeconds(60),
                    "login", "--username", "dev", "--password-stdin", host);
            assertThat(login.exitCode()).as(login.describe()).isZero();

            imageId = AuthTesting.buildSmallImage(config, work.resolve("context"), image);
            AuthTesting.dockerOk(config, Duration.ofSeconds(90), "push", image);
            AuthTesting.dockerOk(config, Duration.ofSeconds(30), "rmi", "-f", imageId);
            AuthTesting.dockerOk(config, Duration.ofSeconds(90), "pull", image);

            // dev may not push outside team/: docker stops at once (no retries with back-off) and says why.
            AuthTesting.dockerOk(config, Duration.ofSeconds(30), "tag", image, denied);
            long start = System.nanoTime();
            Commands.Result refused = AuthTesting.docker(config, null, Duration.ofSeconds(90), "push", denied);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
            assertThat(refused.describe()).as("docker's message").containsIgnoringCase("denied");
            assertThat(took).as("time until docker gave up").isLessThan(Duration.ofSeconds(10));
            assertThat(issuer.requestedScopes).anyMatch(s -> s.startsWith("repository:team/token-") && s.contains("push"));
        } finally {
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "logout", host);
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", image);
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", denied);
            if (imageId != null) {
                AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", imageId);
            }
        }
    }
}
