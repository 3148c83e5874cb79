package dev.berth.support;

import dev.berth.clients.Commands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus (Debian's {@code prometheus} package, installed by scripts/install-test-deps) on a free
 * loopback port, with its configuration and storage in a folder of the test's, for checking PromQL that
 * operators will run: the dashboard's queries and the chart's alerts.
 */
public final class Prometheus implements AutoCloseable {

    /** The Prometheus and promtool of Debian's package. */
    public static final String PROMETHEUS = "/usr/bin/prometheus";
    public static final String PROMTOOL = "/usr/bin/promtool";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Process process;
    private final Path log;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Prometheus(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts Prometheus with {@code config} (the text of prometheus.yml, which may name files in {@code work}) and
     * waits until it is ready.
     */
    public static Prometheus start(Path work, String config) throws IOException, InterruptedException {
        requireInstalled(PROMETHEUS);
        Path configFile = Files.writeString(work.resolve("prometheus.yml"), config);
        Path log = work.resolve("prometheus.log");
        int port = Commands.freePort();
        Process process = new ProcessBuilder(PROMETHEUS, "--config.file=" + configFile,
                "--storage.tsdb.path=" + work.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Prometheus prometheus = new Prometheus(process, log, port);
        try {
            prometheus.awaitReady(Duration.ofSeconds(60));
        } catch (RuntimeException | Error e) {
            prometheus.close();
            throw e;
        }
        return prometheus;
    }

    /** Fails, saying how to install it, when a program of the package is missing. */
    public static void requireInstalled(String program) {
        if (!Files.isExecutable(Path.of(program))) {
            throw new AssertionError(program + " is missing: run scripts/install-test-deps (Debian's prometheus)");
        }
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited with " + process.exitValue() + "\n" + log());
            }
            try {
                if (http.send(HttpRequest.newBuilder(uri("/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("prometheus not ready within " + timeout + "\n" + log());
    }

    /**
     * The answer of {@code /api/v1/query} for {@code promql} at this instant, whether it succeeded or not: its
     * {@code status}, {@code error} and {@code data.result}.
     */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    /** The JSON answer of a GET of {@code path} of Prometheus' HTTP API. */
    public JsonNode get(String path) throws IOException, InterruptedException {
        return JSON.readTree(http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString())
                .body());
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** What Prometheus logged so far, for failure messages. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
