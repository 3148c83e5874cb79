package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.auth.TestTokenIssuer;
import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The upstream is a Berth that takes only Bearer tokens of a token server: the cache answers its challenge
 * with a token fetched with the configured user and the password from its file, and pulls through.
 */
@Timeout(120)
class TokenUpstreamTest {

    private static final String SERVICE = "upstream-registry";

    @TempDir
    Path work;

    @Test
    void pullsFromAnUpstreamThatAsksForABearerToken() throws IOException {
        try (TestTokenIssuer issuer = new TestTokenIssuer(work, Map.of("admin", "admin-pw", "puller", "puller-pw"),
                (user, scope) -> user.equals("admin") || scope.endsWith(":pull"));
                BerthServer upstream = BerthServer.startOnFilesystem(work.resolve("upstream"),
                        "--berth.auth.mode=token", "--berth.auth.token.realm=" + issuer.realm(),
                        "--berth.auth.token.service=" + SERVICE, "--berth.auth.token.issuer=" + TestTokenIssuer.ISSUER,
                        "--berth.auth.token.jwks=" + issuer.jwksFile)) {
            String push = "Bearer " + token(issuer, "admin:admin-pw", "repository:library/app:pull,push");
            UpstreamImages.Image image = UpstreamImages.push(upstream, "library/app", "v1",
                    UpstreamImages.image(50_000), "Authorization", push);
            assertThat(Http.sendText("GET", upstream.uri("/v2/library/app/manifests/v1"), null).statusCode())
                    .as("the upstream refuses anonymous pulls").isEqualTo(401);
            Path password = work.resolve("password");
            Files.writeString(password, "puller-pw\n");
            issuer.requestedScopes.clear();

            try (BerthServer cache = BerthServer.startOnFilesystem(work.resolve("cache"),
                    "--berth.proxy.rules[0].prefix=upstream",
                    "--berth.proxy.rules[0].upstream=http://" + upstream.hostAndPort(),
                    "--berth.proxy.rules[0].username=puller",
                    "--berth.proxy.rules[0].password-file=" + password)) {
                HttpResponse<byte[]> manifest = Http.send("GET", cache.uri("/v2/upstream/library/app/manifests/v1"), null);
                assertThat(manifest.statusCode()).as(new String(manifest.body(), StandardCharsets.UTF_8)).isEqualTo(200);
                assertThat(manifest.body()).isEqualTo(image.manifest());
                for (byte[] blob : image.blobs()) {
                    HttpResponse<byte[]> pulled = Http.send("GET", cache.uri("/v2/upstream/library/app/blobs/"
                            + Sha256.digest(blob)), null);
                    assertThat(pulled.statusCode()).isEqualTo(200);
                    assertThat(pulled.body()).isEqualTo(blob);
                }
                assertThat(issuer.requestedScopes).contains("repository:library/app:pull");
                // One token serves the repository until it expires.
                assertThat(issuer.requestedScopes).hasSize(1);
            }
        }
    }

    private static String token(TestTokenIssuer issuer, String userAndPassword, String scope) {
        HttpResponse<String> answer = Http.sendText("GET", URI.create(issuer.realm() + "?service=" + SERVICE
                + "&scope=" + scope), null, "Authorization", "Basic "
                + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8)));
        assertThat(answer.statusCode()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(answer.body()).path("token").asString();
    }
}
