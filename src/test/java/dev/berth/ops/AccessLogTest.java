package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cluster.BerthProcess;
import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One access-log line per request, in text and as JSON fields, and never a secret. */
@ExtendWith(OutputCaptureExtension.class)
class AccessLogTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String PASSWORD = "access-log-secret-pw";
    static final byte[] BLOB = "a blob for the access log".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path work;

    @Test
    void aPushAPullAndARefusalEachLeaveOneLine(CapturedOutput output) throws Exception {
        try (BerthServer berth = startWithAlice()) {
            String digest = Sha256.digest(BLOB);
            assertThat(send(berth, "POST", "/v2/team/app/blobs/uploads/?digest=" + digest, basic(PASSWORD), BLOB))
                    .isEqualTo(201);
            assertThat(send(berth, "GET", "/v2/team/app/blobs/" + digest + "?sig=signed-url-secret", basic(PASSWORD),
                    null)).isEqualTo(200);
            assertThat(send(berth, "GET", "/v2/team/app/manifests/1", basic("wrong"), null)).isEqualTo(401);
            // Probes and scrapes on the Actuator port are not logged.
            assertThat(HTTP.send(HttpRequest.newBuilder(berth.managementUri("/actuator/health/readiness")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        }
        List<String> lines = accessLines(output);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).endsWith("POST /v2/{name}/blobs/uploads/ repository=team/app status=201 in="
                + BLOB.length + " out=0 duration=" + millis(lines.get(0)) + "ms client=127.0.0.1 user=alice");
        assertThat(lines.get(1)).contains("GET /v2/{name}/blobs/{digest} repository=team/app reference="
                + Sha256.digest(BLOB) + " status=200 in=0 out=" + BLOB.length + " ").endsWith(" user=alice");
        assertThat(lines.get(2)).contains("GET /v2/{name}/manifests/{reference} repository=team/app reference=1"
                + " status=401 error=UNAUTHORIZED in=0 out=").doesNotContain("user=");
        assertThat(output.getOut()).doesNotContain("signed-url-secret").doesNotContain(PASSWORD)
                .doesNotContain(basic(PASSWORD).substring(6)).doesNotContain(basic("wrong").substring(6));
    }

    /** In a process of its own: the logging system a structured format sets up outlives the application. */
    @Test
    void structuredLogsCarryEachValueAsAField() throws Exception {
        String log;
        try (BerthProcess berth = BerthProcess.start("access-log-json", List.of("-Xmx256m"), null,
                "--berth.storage.filesystem.root=" + work.resolve("store"), "--logging.structured.format.console=ecs")) {
            HttpResponse<Void> missing = HTTP.send(HttpRequest.newBuilder(berth.uri("/v2/team/app/manifests/1")).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(missing.statusCode()).isEqualTo(404);
            log = awaitLine(berth.log(), "\"dev.berth.access\"");
        }
        JsonNode line = JsonMapper.builder().build().readTree(log);
        assertThat(line.path("log").path("logger").asString()).isEqualTo("dev.berth.access");
        assertThat(line.path("http").path("request").path("method").asString()).isEqualTo("GET");
        assertThat(line.path("url").path("path").asString()).isEqualTo("/v2/{name}/manifests/{reference}");
        assertThat(line.path("berth").path("repository").asString()).isEqualTo("team/app");
        assertThat(line.path("berth").path("reference").asString()).isEqualTo("1");
        assertThat(line.path("http").path("response").path("status_code").asInt()).isEqualTo(404);
        assertThat(line.path("error").path("code").asString()).isEqualTo("MANIFEST_UNKNOWN");
        assertThat(line.path("http").path("response").path("body").path("bytes").asLong()).isPositive();
        assertThat(line.path("event").path("duration").asLong()).isPositive();
        assertThat(line.path("client").path("address").asString()).isEqualTo("127.0.0.1");
    }

    @Test
    void turnedOffItWritesNothing(CapturedOutput output) throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                "--berth.access-log.enabled=false")) {
            assertThat(send(berth, "GET", "/v2/", null, null)).isEqualTo(200);
        }
        assertThat(accessLines(output)).isEmpty();
    }

    @Test
    void atDebugItStaysOutOfTheDefaultLog(CapturedOutput output) throws Exception {
        try (BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                "--berth.access-log.level=debug")) {
            assertThat(send(berth, "GET", "/v2/", null, null)).isEqualTo(200);
        }
        assertThat(accessLines(output)).isEmpty();
    }

    private BerthServer startWithAlice() throws Exception {
        String hash = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 4).encode(PASSWORD);
        Path htpasswd = Files.writeString(work.resolve("htpasswd"), "alice:" + hash + "\n");
        return BerthServer.startOnFilesystem(work.resolve("store"), "--berth.auth.mode=htpasswd",
                "--berth.auth.htpasswd.path=" + htpasswd);
    }

    private static int send(BerthServer berth, String method, String path, String authorization, byte[] body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(berth.uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("alice:" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> accessLines(CapturedOutput output) {
        return output.getOut().lines().filter(line -> line.contains("dev.berth.access")).toList();
    }

    private static String awaitLine(Path log, String marker) throws Exception {
        for (int i = 0; i < 100; i++) {
            java.util.Optional<String> line = Files.readAllLines(log).stream().filter(l -> l.contains(marker)).findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no line with " + marker + " in " + log);
    }

    private static String millis(String line) {
        return line.replaceAll(".* duration=(\\d+)ms.*", "$1");
    }
}
