package dev.berth.auth;

import static dev.berth.auth.AuthTesting.assertError;
import static dev.berth.auth.AuthTesting.basic;
import static dev.berth.auth.AuthTesting.get;
import static dev.berth.auth.AuthTesting.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * {@code berth.auth.htpasswd.access} on a real Berth: CI pushes to {@code ci/**} only, developers pull
 * everything, admins do anything; a known user lacking an action gets {@code 403 DENIED}, and docker stops
 * a refused push at once with {@code denied:}.
 */
@Timeout(180)
class HtpasswdRightsHttpTest {

    static final String CI = basic("ci", "ci-pw");
    static final String DEV = basic("dev", "dev-pw");
    static final String ADMIN = basic("admin", "admin-pw");
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @TempDir
    static Path work;

    static BerthServer berth;

    @BeforeAll
    static void start() throws IOException {
        Path htpasswd = work.resolve("htpasswd");
        StringBuilder file = new StringBuilder();
        for (String user : new String[] {"ci", "dev", "admin"}) {
            file.append(user).append(':').append(BCrypt.hashpw(user + "-pw", BCrypt.gensalt(4))).append('\n');
        }
        Files.writeString(htpasswd, file);
        berth = BerthServer.startOnFilesystem(work.resolve("store"), "--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + htpasswd, "--berth.auth.anonymous-pull=public/**",
                "--berth.auth.login-throttle.max-failures=0",
                "--berth.auth.htpasswd.access[0].repositories=ci/**",
                "--berth.auth.htpasswd.access[0].users=ci",
                "--berth.auth.htpasswd.access[0].actions=pull,push",
                "--berth.auth.htpasswd.access[1].repositories=**",
                "--berth.auth.htpasswd.access[1].users=dev",
                "--berth.auth.htpasswd.access[1].actions=pull",
                "--berth.auth.htpasswd.access[2].repositories=**",
                "--berth.auth.htpasswd.access[2].users=admin",
                "--berth.auth.htpasswd.access[2].actions=*");
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void eachUserMayDoWhatTheirRulesGrant() {
        String manifest = pushImage(CI, "ci/app", "1");
        String path = "/v2/ci/app/manifests/";

        // ci pushes and pulls its own repositories only, and deletes nothing.
        assertDenied(send("POST", berth.uri("/v2/team/app/blobs/uploads/"), CI, new byte[0]));
        assertDenied(get(berth.uri("/v2/team/app/tags/list"), CI));
        assertDenied(send("DELETE", berth.uri(path + manifest), CI, null));

        // dev pulls everything and changes nothing.
        assertThat(get(berth.uri(path + "1"), DEV).statusCode()).isEqualTo(200);
        assertThat(send("HEAD", berth.uri(path + "1"), DEV, null).statusCode()).isEqualTo(200);
        assertDenied(send("POST", berth.uri("/v2/ci/app/blobs/uploads/"), DEV, new byte[0]));
        assertDenied(send("PUT", berth.uri(path + "2"), DEV, "{}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", OCI_MANIFEST));
        assertDenied(send("DELETE", berth.uri(path + manifest), DEV, null));
        assertThat(get(berth.uri(path + "1"), DEV).statusCode()).as("still there").isEqualTo(200);
        // A HEAD is refused with the status alone.
        assertThat(send("HEAD", berth.uri("/v2/team/app/manifests/1"), CI, null).statusCode()).isEqualTo(403);

        // A wrong password is still a wrong password, not a lack of rights.
        assertError(get(berth.uri(path + "1"), basic("dev", "wrong")), 401, "UNAUTHORIZED");

        // admin deletes.
        assertThat(send("DELETE", berth.uri(path + manifest), ADMIN, null).statusCode()).isEqualTo(202);
        assertError(get(berth.uri(path + "1"), DEV), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void anyUserMayListTheCatalog() {
        pushImage(ADMIN, "team/listed", "1");
        for (String user : new String[] {CI, DEV, ADMIN}) {
            HttpResponse<String> catalog = get(berth.uri("/v2/_catalog"), user);
            assertThat(catalog.statusCode()).isEqualTo(200);
            assertThat(catalog.body()).contains("team/listed");
        }
        assertError(get(berth.uri("/v2/_catalog"), null), 401, "UNAUTHORIZED");
    }

    @Test
    void anonymousPullStillApplies() {
        // No rule gives ci public/**, but anyone may pull there; pushing still needs a rule.
        assertError(get(berth.uri("/v2/public/tools/tags/list"), null), 404, "NAME_UNKNOWN");
        assertError(get(berth.uri("/v2/public/tools/tags/list"), CI), 404, "NAME_UNKNOWN");
        assertDenied(send("POST", berth.uri("/v2/public/tools/blobs/uploads/"), CI, new byte[0]));
        assertError(send("POST", berth.uri("/v2/public/tools/blobs/uploads/"), null, new byte[0]), 401,
                "UNAUTHORIZED");
    }

    @Test
    void aMountFromARepositoryTheUserMayNotPullIsAnOrdinaryUpload() {
        byte[] secret = ("secret layer " + Commands.randomSuffix()).getBytes(StandardCharsets.UTF_8);
        String digest = blob(ADMIN, "team/secret", secret);
        HttpResponse<String> ci = send("POST", berth.uri("/v2/ci/app/blobs/uploads/?mount=" + digest
                + "&from=team/secret"), CI, new byte[0]);
        assertThat(ci.statusCode()).as(ci.body()).isEqualTo(202);
        HttpResponse<String> admin = send("POST", berth.uri("/v2/ci/other/blobs/uploads/?mount=" + digest
                + "&from=team/secret"), ADMIN, new byte[0]);
        assertThat(admin.statusCode()).as(admin.body()).isEqualTo(201);
    }

    @Test
    void dockerStopsAPushDeniedToAPullOnlyUser() throws IOException {
        Commands.requireDockerDaemon();
        Path config = Files.createDirectories(work.resolve("docker-config"));
        String host = berth.hostAndPort();
        String image = host + "/ci/app-" + Commands.randomSuffix() + ":1";
        String imageId = null;
        try {
            Commands.Result login = AuthTesting.docker(config, "dev-pw\n", Duration.ofSeconds(60),
                    "login", "--username", "dev", "--password-stdin", host);
            assertThat(login.exitCode()).as(login.describe()).isZero();
            imageId = AuthTesting.buildSmallImage(config, work.resolve("context"), image);
            long start = System.nanoTime();
            Commands.Result push = AuthTesting.docker(config, null, Duration.ofSeconds(60), "push", image);
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("docker push refused after " + millis + " ms");
            assertThat(push.exitCode()).as(push.describe()).isNotZero();
            // "denied:", not "unauthorized:", which would send the user looking for a wrong password.
            assertThat(push.stderr()).as(push.describe()).contains("denied: requested access to the resource is denied");
            assertThat(millis).as("refused at once, not after retries").isLessThan(15_000);
        } finally {
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "logout", host);
            AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", image);
            if (imageId != null) {
                AuthTesting.docker(config, null, Duration.ofSeconds(30), "rmi", "-f", imageId);
            }
        }
    }

    private static void assertDenied(HttpResponse<String> response) {
        assertError(response, 403, "DENIED");
        assertThat(response.headers().firstValue("WWW-Authenticate")).as("no challenge: other credentials would"
                + " not help").isEmpty();
    }

    /** A one-layer image, pushed as a client does; returns the manifest's digest. */
    private static String pushImage(String user, String repository, String tag) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"created\":\"" + Commands.randomSuffix() + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = ("layer of " + repository + " " + Commands.randomSuffix()).getBytes(StandardCharsets.UTF_8);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + blob(user, repository, config)
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + blob(user, repository, layer)
                + "\",\"size\":" + layer.length + "}]}";
        byte[] body = manifest.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> put = send("PUT", berth.uri("/v2/" + repository + "/manifests/" + tag), user, body,
                "Content-Type", OCI_MANIFEST);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        return Sha256.digest(body);
    }

    private static String blob(String user, String repository, byte[] content) {
        String digest = Sha256.digest(content);
        HttpResponse<String> response = send("POST", berth.uri("/v2/" + repository + "/blobs/uploads/?digest="
                + digest), user, content, "Content-Type", "application/octet-stream");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return digest;
    }
}
