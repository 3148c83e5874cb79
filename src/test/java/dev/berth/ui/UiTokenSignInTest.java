package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.auth.TestTokenIssuer;
import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.MovableClock;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Web UI sign-in in {@code berth.auth.mode=token}, against a token server of the test's own on loopback: the
 * password goes to the token server, the browser keeps the refresh token sealed in its cookie, and each page
 * shows what the access token Berth fetches for it grants. Cookies are handled by hand, as a browser would.
 */
@Timeout(120)
@ExtendWith(OutputCaptureExtension.class)
class UiTokenSignInTest {

    static final String SERVICE = "berth-ui-test";
    static final String SESSION_KEY = Base64.getEncoder().encodeToString(new byte[32]);
    static final Pattern SET_COOKIE = Pattern.compile(UiSessions.COOKIE + "=([^;]*)");

    @TempDir
    static Path work;

    static TestTokenIssuer issuer;
    static MovableClock clock = new MovableClock();
    static BerthServer berth;

    @BeforeAll
    static void start() {
        clock.advance(Duration.between(clock.instant(), Instant.now())); // tokens' expiry is real time
        // alice pulls team/**, and deletes in team/app only; bob pulls other/**; carol pulls nothing.
        issuer = new TestTokenIssuer(work, Map.of("alice", "alice-pw", "bob", "bob-pw", "carol", "carol-pw",
                "admin", "admin-pw"), (user, access) -> user.equals("admin")
                || access.equals("registry:catalog:*")
                || user.equals("alice") && (access.matches("repository:team/[^:]+:pull")
                        || access.equals("repository:team/app:delete"))
                || user.equals("bob") && access.matches("repository:other/[^:]+:pull"));
        berth = BerthServer.startOnFilesystem(work.resolve("store"), clock, "--berth.auth.mode=token",
                "--berth.auth.token.realm=" + issuer.realm(), "--berth.auth.token.service=" + SERVICE,
                "--berth.auth.token.issuer=" + TestTokenIssuer.ISSUER,
                "--berth.auth.token.jwks=" + issuer.jwksFile, "--berth.auth.token.request-timeout=2s",
                "--berth.auth.anonymous-pull=public/**", "--berth.auth.login-throttle.max-failures=3",
                "--berth.ui.session-key=" + SESSION_KEY, "--berth.ui.session-lifetime=1h",
                "--logging.level.dev.berth=DEBUG");
        for (String repository : List.of("team/app", "team/lib", "other/secret", "public/base")) {
            String admin = "Bearer " + TestTokenIssuer.sign(issuer.rsa, "admin", SERVICE,
                    List.of(TestTokenIssuer.entry("repository", repository, "*")), Duration.ofMinutes(30));
            UiImages images = new UiImages(berth, admin);
            images.image(repository, "1.0", "amd64", repository.length());
            if (repository.equals("team/app")) {
                images.image(repository, "2.0", "arm64", 3);
            }
        }
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

    @Test
    void aUserSeesWhatTheirTokensGrantAndDeletesWhereGranted(CapturedOutput output) {
        HttpResponse<String> signIn = signIn("alice", "alice-pw");
        assertThat(signIn.statusCode()).as(signIn.body()).isEqualTo(302);
        String setCookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).contains("Path=/ui/").contains("HttpOnly").contains("SameSite=Lax");
        String cookie = cookie(signIn);

        int before = issuer.requests.get();
        String home = page("/ui/", cookie).body();
        assertThat(home).contains("Signed in as").contains("alice");
        assertThat(repositories(home)).containsExactly("public/base", "team/app", "team/lib");
        assertThat(issuer.requests.get() - before).as("one token request for the whole page").isEqualTo(1);
        page("/ui/", cookie);
        assertThat(issuer.requests.get() - before).as("the same page again comes from the cache").isEqualTo(1);

        assertThat(page("/ui/repository?name=team/app", cookie).body()).contains("Delete tag");
        HttpResponse<String> lib = page("/ui/repository?name=team/lib", cookie);
        assertThat(lib.statusCode()).isEqualTo(200);
        assertThat(lib.body()).doesNotContain("Delete tag");
        assertThat(page("/ui/repository?name=other/secret", cookie).statusCode()).isEqualTo(404);
        assertThat(page("/ui/delete?name=team/lib&reference=1.0", cookie).statusCode()).isEqualTo(403);

        HttpResponse<String> confirm = page("/ui/delete?name=team/app&reference=1.0", cookie);
        assertThat(confirm.statusCode()).isEqualTo(200);
        Matcher token = Pattern.compile("name=\"token\" value=\"([^\"]+)\"").matcher(confirm.body());
        assertThat(token.find()).as(confirm.body()).isTrue();
        HttpResponse<String> deleted = post("/ui/delete", "name=team/app&reference=1.0&token="
                + URLEncoder.encode(token.group(1), StandardCharsets.UTF_8), cookie);
        assertThat(deleted.statusCode()).isEqualTo(302);
        String after = page("/ui/repository?name=team/app", cookie).body();
        assertThat(after).contains("2.0").doesNotContain("id=\"tag-1.0\"");

        HttpResponse<String> bob = page("/ui/", cookie(signIn("bob", "bob-pw")));
        assertThat(repositories(bob.body())).containsExactly("other/secret", "public/base");

        // The refresh tokens are secrets: in no log line, and in the cookie only sealed.
        assertThat(issuer.issuedRefreshTokens).isNotEmpty();
        String readable = readable(cookie);
        for (String refresh : issuer.issuedRefreshTokens) {
            assertThat(output.getAll()).doesNotContain(refresh);
            assertThat(output.getAll()).doesNotContain(
                    Base64.getEncoder().encodeToString(refresh.getBytes(StandardCharsets.UTF_8)));
            assertThat(readable).doesNotContain(refresh);
        }
        assertThat(output.getAll()).doesNotContain("alice-pw").doesNotContain("bob-pw");
    }

    @Test
    void aWrongPasswordIsRefusedAndCounted() {
        HttpResponse<String> wrong = signIn("carol", "not-carols");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("Wrong user name or password").contains("name=\"password\"");
        assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
        signIn("carol", "not-carols");
        signIn("carol", "not-carols");
        int before = issuer.requests.get();
        HttpResponse<String> throttled = signIn("carol", "carol-pw");
        assertThat(throttled.statusCode()).as("the same count as the API's").isEqualTo(429);
        assertThat(issuer.requests.get()).as("a throttled password goes nowhere").isEqualTo(before);
    }

    @Test
    void aTamperedOrExpiredCookieSignsNobodyIn() {
        String cookie = cookie(signIn("alice", "alice-pw"));
        String[] parts = cookie.split("\\.");
        assertThat(parts).hasSize(4);
        char last = parts[2].charAt(10);
        String flipped = parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10) + (last == 'A' ? 'B' : 'A')
                + parts[2].substring(11) + "." + parts[3];
        String extended = parts[0] + "." + (Long.parseLong(parts[1]) + 86_400) + "." + parts[2] + "." + parts[3];
        String otherUser = Base64.getUrlEncoder().withoutPadding().encodeToString("bob".getBytes(StandardCharsets.UTF_8))
                + cookie.substring(parts[0].length());
        for (String bad : List.of(flipped, extended, otherUser, parts[0] + "." + parts[1] + "." + parts[3])) {
            String page = page("/ui/", bad).body();
            assertThat(page).as(bad).contains("Sign in").doesNotContain("Signed in as");
            assertThat(repositories(page)).containsExactly("public/base");
        }
        assertThat(page("/ui/", cookie).body()).contains("Signed in as");
        clock.advance(Duration.ofHours(2));
        try {
            String expired = page("/ui/", cookie).body();
            assertThat(expired).doesNotContain("Signed in as");
            assertThat(repositories(expired)).containsExactly("public/base");
        } finally {
            clock.advance(Duration.ofHours(-2));
        }
    }

    @Test
    void aRevokedRefreshTokenSignsTheUserOut() {
        String cookie = cookie(signIn("bob", "bob-pw"));
        assertThat(page("/ui/repository?name=other/secret", cookie).statusCode()).isEqualTo(200);
        issuer.revoke("bob");
        HttpResponse<String> page = page("/ui/?q=other", cookie);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).doesNotContain("Signed in as").doesNotContain("other/secret");
    }

    @Test
    void withoutRefreshTokensTheAccessTokenIsCarriedUntilItExpires() {
        issuer.offlineTokens = false;
        clock.advance(Duration.between(clock.instant(), Instant.now()));
        try {
            HttpResponse<String> signIn = signIn("alice", "alice-pw");
            assertThat(signIn.statusCode()).isEqualTo(302);
            String setCookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
            Matcher maxAge = Pattern.compile("Max-Age=(\\d+)").matcher(setCookie);
            assertThat(maxAge.find()).isTrue();
            assertThat(Long.parseLong(maxAge.group(1))).as("no longer than the token").isLessThanOrEqualTo(300);
            String home = page("/ui/", cookie(signIn)).body();
            assertThat(home).contains("Signed in as");
            assertThat(repositories(home)).as("what the sign-in token grants, and anonymous pull").contains("public/base")
                    .doesNotContain("other/secret");
        } finally {
            issuer.offlineTokens = true;
        }
    }

    @Test
    void aFailingTokenServerIsAReadablePageNotAServerError() {
        String cookie = cookie(signIn("alice", "alice-pw"));
        issuer.failWith = 500;
        try {
            HttpResponse<String> page = page("/ui/repository?name=team/lib&n=3", cookie);
            assertThat(page.statusCode()).isEqualTo(503);
            assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
            assertThat(page.body()).contains("token server").doesNotContain("Exception");
            HttpResponse<String> signIn = signIn("alice", "alice-pw");
            assertThat(signIn.statusCode()).isEqualTo(503);
            assertThat(signIn.body()).contains("token server");
        } finally {
            issuer.failWith = 0;
        }
        assertThat(page("/ui/repository?name=team/lib&n=3", cookie).statusCode()).isEqualTo(200);
    }

    @Test
    void aTokenThatFailsVerificationSignsNobodyIn() {
        issuer.audience = "another-registry";
        try {
            HttpResponse<String> signIn = signIn("alice", "alice-pw");
            assertThat(signIn.statusCode()).isEqualTo(503);
            assertThat(signIn.headers().firstValue("Set-Cookie")).isEmpty();
        } finally {
            issuer.audience = null;
        }
    }

    /** The cookie as whoever copies it can read it: each part as sent, and base64-decoded. */
    private static String readable(String cookie) {
        StringBuilder text = new StringBuilder(cookie);
        for (String part : cookie.split("\\.")) {
            try {
                text.append('\n').append(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // not base64
            }
        }
        return text.toString();
    }

    private static HttpResponse<String> signIn(String user, String password) {
        return post("/ui/login", "username=" + user + "&password=" + password, null);
    }

    private static String cookie(HttpResponse<String> signIn) {
        Matcher m = SET_COOKIE.matcher(signIn.headers().firstValue("Set-Cookie").orElseThrow());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static HttpResponse<String> page(String path, String cookie) {
        return Http.sendText("GET", berth.uri(path), null, "Cookie", UiSessions.COOKIE + "=" + cookie);
    }

    private static HttpResponse<String> post(String path, String form, String cookie) {
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/x-www-form-urlencoded"));
        if (cookie != null) {
            headers.addAll(List.of("Cookie", UiSessions.COOKIE + "=" + cookie));
        }
        return Http.sendText("POST", berth.uri(path), form.getBytes(StandardCharsets.UTF_8), headers.toArray(String[]::new));
    }

    private static List<String> repositories(String html) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("class=\"repo\"[^>]*>([^<]+)<").matcher(html);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
