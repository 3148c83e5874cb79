package dev.berth.auth;

import static dev.berth.auth.AuthTesting.assertError;
import static dev.berth.auth.AuthTesting.basic;
import static dev.berth.auth.AuthTesting.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.BerthServer;
import dev.berth.support.RawHttp;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
        String carol = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 10).encode("carol-pw");
        Files.writeString(htpasswd, "# users\n" + USER + ":" + hash + "\nbob:{SHA}ignoredEntry=\ncarol:" + carol + "\n");
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
    void theFileIsReadAgainWhenItChanges() throws Exception {
        Path file = work.resolve("htpasswd-changing");
        BCryptPasswordEncoder bcrypt = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 4);
        Files.writeString(file, "erin:" + bcrypt.encode("erin-pw") + "\n");
        try (BerthServer changing = BerthServer.startOnFilesystem(work.resolve("store-changing"),
                "--berth.auth.mode=htpasswd", "--berth.auth.htpasswd.path=" + file,
                "--berth.auth.login-throttle.max-failures=0")) {
            assertThat(get(changing.uri("/v2/"), basic("erin", "erin-pw")).statusCode()).isEqualTo(200);
            assertError(get(changing.uri("/v2/"), basic("frank", "frank-pw")), 401, "UNAUTHORIZED");

            // frank and hal are added (entries of the $2a$ and $2b$ bcrypt forms too) and erin removed, without
            // a restart.
            Files.writeString(file, "frank:" + new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2A, 4)
                    .encode("frank-pw") + "\nhal:" + new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2B, 4)
                    .encode("hal-pw") + "\n");
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(5)));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (get(changing.uri("/v2/"), basic("frank", "frank-pw")).statusCode() != 200) {
                assertThat(System.nanoTime()).as("frank let in after the file changed").isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(get(changing.uri("/v2/"), basic("hal", "hal-pw")).statusCode()).isEqualTo(200);
            assertError(get(changing.uri("/v2/"), basic("erin", "erin-pw")), 401, "UNAUTHORIZED");
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
    void wrongPasswordsAreThrottledPerClientAndUser() {
        for (int i = 0; i < 10; i++) {
            assertError(get(berth.uri("/v2/"), basic("carol", "guess-" + i)), 401, "UNAUTHORIZED");
        }
        HttpResponse<String> throttled = get(berth.uri("/v2/"), basic("carol", "guess-10"));
        assertError(throttled, 429, "TOOMANYREQUESTS");
        assertThat(throttled.headers().firstValue("Retry-After")).hasValueSatisfying(
                seconds -> assertThat(Integer.parseInt(seconds)).isBetween(1, 60));
        // While throttled, even the right password is not checked; other users from this client still are.
        assertError(get(berth.uri("/v2/"), basic("carol", "carol-pw")), 429, "TOOMANYREQUESTS");
        assertThat(get(berth.uri("/v2/"), basic(USER, PASSWORD)).statusCode()).isEqualTo(200);
    }

    @Test
    void aGoodLoginForgivesTheFailuresBeforeIt() throws Exception {
        Path file = work.resolve("htpasswd-forgiving");
        Files.writeString(file, "gina:" + new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 4)
                .encode("gina-pw") + "\n");
        try (BerthServer strict = BerthServer.startOnFilesystem(work.resolve("store-forgiving"),
                "--berth.auth.mode=htpasswd", "--berth.auth.htpasswd.path=" + file,
                "--berth.auth.login-throttle.max-failures=3")) {
            for (int round = 0; round < 3; round++) {
                assertError(get(strict.uri("/v2/"), basic("gina", "typo-1")), 401, "UNAUTHORIZED");
                assertError(get(strict.uri("/v2/"), basic("gina", "typo-2")), 401, "UNAUTHORIZED");
                assertThat(get(strict.uri("/v2/"), basic("gina", "gina-pw")).statusCode()).as("round %d", round)
                        .isEqualTo(200);
            }
            for (int i = 0; i < 3; i++) {
                assertError(get(strict.uri("/v2/"), basic("gina", "typo-" + i)), 401, "UNAUTHORIZED");
            }
            assertError(get(strict.uri("/v2/"), basic("gina", "gina-pw")), 429, "TOOMANYREQUESTS");
        }
    }

    @Test
    void anUnknownUserCostsAsMuchTimeAsAWrongPassword() {
        // Warm both paths, then compare medians: an unknown user must not be answered markedly faster.
        get(berth.uri("/v2/"), basic("nobody-" + Commands.randomSuffix(), "x"));
        get(berth.uri("/v2/"), basic(USER, "warm-up"));
        long[] unknown = new long[5];
        long[] known = new long[5];
        for (int i = 0; i < 5; i++) {
            String attempt = "wrong-" + i;
            unknown[i] = timed(() -> get(berth.uri("/v2/"), basic("nobody-" + attempt, "wrong")));
            known[i] = timed(() -> get(berth.uri("/v2/"), basic(USER, attempt)));
        }
        Arrays.sort(unknown);
        Arrays.sort(known);
        assertThat(unknown[2]).as("median ns for an unknown user vs %d ns for a wrong password", known[2])
                .isGreaterThan(known[2] / 2);
        // A right password from this client clears its failures.
        assertThat(get(berth.uri("/v2/"), basic(USER, PASSWORD)).statusCode()).isEqualTo(200);
    }

    private static long timed(Runnable request) {
        long start = System.nanoTime();
        request.run();
        return System.nanoTime() - start;
    }

    @Test
    void malformedMountParametersGetWhatTheyGetWithoutAccessControl() {
        String auth = "Authorization: " + basic(USER, PASSWORD);
        // An unreadable source repository: no mount, an ordinary upload session instead.
        RawHttp.Response badFrom = RawHttp.send(berth.port(), "POST", "/v2/team/app/blobs/uploads/?mount=sha256:"
                + "0".repeat(64) + "&from=%zz", auth, new byte[0]);
        assertThat(badFrom.status()).as(badFrom.body()).isEqualTo(202);
        // An unreadable digest: refused as the client's mistake, never a server error.
        RawHttp.Response badMount = RawHttp.send(berth.port(), "POST",
                "/v2/team/app/blobs/uploads/?mount=%zz&from=team/other", auth, new byte[0]);
        assertThat(badMount.status()).as(badMount.body()).isEqualTo(400);
        assertThat(badMount.body()).contains("\"code\":\"DIGEST_INVALID\"");
    }

    @Test
    void anUnauthenticatedBodyIsNotReadBeyondASmallBound() {
        RawHttp.Flood flood = RawHttp.flood(berth.port(),
                "PUT /v2/team/app/manifests/big HTTP/1.1\r\nTransfer-Encoding: chunked",
                RawHttp.chunk(65000), 512L * 1024 * 1024, Duration.ofSeconds(3));
        assertThat(flood.answer()).startsWith("HTTP/1.1 401");
        assertThat(flood.accepted()).as("bytes Berth took after answering 401").isLessThan(16L * 1024 * 1024);
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
            // Refused for the password, not for a 500 or a connection that failed.
            assertThat(badLogin.stderr()).as(badLogin.describe()).containsIgnoringCase("unauthorized");

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
            assertThat(anonymous.stderr()).as(anonymous.describe())
                    .containsAnyOf("no basic auth credentials", "unauthorized");
        } finally {
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "logout", host);
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", image);
            if (imageId != null) {
                AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", imageId);
            }
        }
    }
}
