package dev.berth.auth;

import static dev.berth.auth.AuthTesting.assertError;
import static dev.berth.auth.AuthTesting.basic;
import static dev.berth.auth.AuthTesting.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.BerthServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/** {@code berth.auth.mode=htpasswd}: HTTP Basic against a bcrypt htpasswd file, with docker login, push, pull. */
@Timeout(180)
class HtpasswdAuthTest {

    static final String USER = "alice";
    static final String PASSWORD = "s3cret-" + Commands.randomSuffix();

    @TempDir
    static Path work;

    static BerthServer berth;

    @BeforeAll
    static void start() throws IOException {
        // What `htpasswd -B -b file alice PASSWORD` writes: a $2y$ bcrypt hash.
        String hash = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 10).encode(PASSWORD);
        assertThat(hash).startsWith("$2y$");
        Path htpasswd = work.resolve("htpasswd");
        Files.writeString(htpasswd, "# users\n" + USER + ":" + hash + "\nbob:{SHA}ignoredEntry=\n");
        berth = BerthServer.startOnFilesystem(work.resolve("store"), "--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + htpasswd, "--berth.auth.realm=Berth test",
                "--berth.auth.anonymous-pull=public/**");
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void missingCredentialsAreChallengedWithBasic() {
        HttpResponse<String> response = get(berth.uri("/v2/"), null);
        assertError(response, 401, "UNAUTHORIZED");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                value -> assertThat(value).startsWith("Basic realm=\"Berth test\""));
        assertError(get(berth.uri("/v2/team/app/tags/list"), null), 401, "UNAUTHORIZED");
        assertError(get(berth.uri("/v2/_catalog"), null), 401, "UNAUTHORIZED");
    }

    @Test
    void wrongPasswordAndUnknownUserAreRefused() {
        assertError(get(berth.uri("/v2/"), basic(USER, "wrong")), 401, "UNAUTHORIZED");
        assertError(get(berth.uri("/v2/"), basic("mallory", PASSWORD)), 401, "UNAUTHORIZED");
        assertError(get(berth.uri("/v2/"), basic("bob", "anything")), 401, "UNAUTHORIZED");
    }

    @Test
    void malformedHeadersAreRefused() {
        for (String header : new String[] {"Basic", "Basic !!!not-base64!!!", "Basic " + java.util.Base64.getEncoder()
                .encodeToString("no-colon".getBytes()), "Bearer abc.def.ghi", "Digest username=alice"}) {
            HttpResponse<String> response = get(berth.uri("/v2/"), header);
            assertError(response, 401, "UNAUTHORIZED");
            assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Basic ");
        }
    }

    @Test
    void rightCredentialsAreLetIn() {
        HttpResponse<String> response = get(berth.uri("/v2/"), basic(USER, PASSWORD));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(get(berth.uri("/v2/_catalog"), basic(USER, PASSWORD)).statusCode()).isEqualTo(200);
        // Remembered credentials are still checked against the password.
        assertError(get(berth.uri("/v2/"), basic(USER, PASSWORD + "x")), 401, "UNAUTHORIZED");
    }

    @Test
    void anonymousPullOnlyWhereConfigured() {
        // public/** may be read without credentials (here: an unknown repository, so 404, not 401) ...
        assertError(get(berth.uri("/v2/public/tools/app/tags/list"), null), 404, "NAME_UNKNOWN");
        // ... but not written, and other repositories not read.
        assertError(AuthTesting.send("POST", berth.uri("/v2/public/tools/app/blobs/uploads/"), null, new byte[0]),
                401, "UNAUTHORIZED");
        assertError(get(berth.uri("/v2/private/app/tags/list"), null), 401, "UNAUTHORIZED");
        // A bad password is refused even where anonymous pull is allowed.
        assertError(get(berth.uri("/v2/public/tools/app/tags/list"), basic(USER, "wrong")), 401, "UNAUTHORIZED");
    }

    @Test
    void actuatorNeedsNoRegistryCredentials() {
        assertThat(get(berth.managementUri("/actuator/health"), null).statusCode()).isEqualTo(200);
    }

    @Test
    void dockerLoginPushAndPull() throws IOException {
        Commands.requireDockerDaemon();
        Path config = Files.createDirectories(work.resolve("docker-config"));
        String host = berth.hostAndPort();
        String image = host + "/team/app-" + Commands.randomSuffix() + ":v1";
        String imageId = null;
        try {
            Commands.Result badLogin = AuthTesting.docker(config, "wrong\n", Duration.ofSeconds(60),
                    "login", "--username", USER, "--password-stdin", host);
            assertThat(badLogin.exitCode()).as(badLogin.describe()).isNotZero();

            Commands.Result login = AuthTesting.docker(config, PASSWORD + "\n", Duration.ofSeconds(60),
                    "login", "--username", USER, "--password-stdin", host);
            assertThat(login.exitCode()).as(login.describe()).isZero();
            assertThat(login.stdout()).contains("Login Succeeded");

            imageId = AuthTesting.buildSmallImage(config, work.resolve("context"), image);
            AuthTesting.dockerOk(config, Duration.ofSeconds(90), "push", image);
            AuthTesting.dockerOk(config, Duration.ofSeconds(30), "rmi", "-f", imageId);
            AuthTesting.dockerOk(config, Duration.ofSeconds(90), "pull", image);
            assertThat(AuthTesting.dockerOk(config, Duration.ofSeconds(30), "image", "inspect", "--format",
                    "{{.Id}}", image)).isEqualTo(imageId);

            AuthTesting.dockerOk(config, Duration.ofSeconds(30), "logout", host);
            // Logged out, the pull is refused.
            AuthTesting.dockerOk(config, Duration.ofSeconds(30), "rmi", "-f", image);
            Commands.Result anonymous = AuthTesting.docker(config, null, Duration.ofSeconds(60), "pull", image);
            assertThat(anonymous.exitCode()).as(anonymous.describe()).isNotZero();
        } finally {
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "logout", host);
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", image);
            if (imageId != null) {
                AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", imageId);
            }
        }
    }
}
