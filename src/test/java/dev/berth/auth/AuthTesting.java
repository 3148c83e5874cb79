package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Plain HTTP requests with chosen headers, and docker commands with their own client config folder. */
final class AuthTesting {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private AuthTesting() {
    }

    /** Sends {@code method uri} with an optional Authorization header, body and {@code name, value} headers. */
    static HttpResponse<String> send(String method, URI uri, String authorization, byte[] body, String... headers) {
        HttpRequest.Builder request = Http.request(method, uri, body, headers);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return Http.sendText(request);
    }

    static HttpResponse<String> get(URI uri, String authorization) {
        return send("GET", uri, authorization, null);
    }

    /** Asserts the spec's error body with {@code code} and the status that goes with it. */
    static void assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as("status of %s %s: %s", response.request().method(),
                response.request().uri(), response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("errors").path(0).path("code").asString()).isEqualTo(code);
        assertThat(response.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
    }

    static String basic(String user, String password) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Runs {@code docker --config <config> args...} with {@code stdin}; returns exit code and output. */
    static Commands.Result docker(Path config, String stdin, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(Commands.docker(), "--config", config.toString()));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("berth-auth-", ".out");
            Path err = Files.createTempFile("berth-auth-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(Commands.dockerEnv());
            Process process = builder.start();
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            Commands.Result result = new Commands.Result(command, process.exitValue(), Files.readString(out),
                    Files.readString(err));
            System.out.println("$ " + String.join(" ", command) + " -> exit " + result.exitCode() + "\n" + result.stderr());
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static String dockerOk(Path config, Duration timeout, String... args) {
        Commands.Result result = docker(config, null, timeout, args);
        assertThat(result.exitCode()).as(result.describe()).isZero();
        return result.stdout().trim();
    }

    /** Builds a one-layer FROM-scratch image tagged {@code tag}; returns its ID. */
    static String buildSmallImage(Path config, Path context, String tag) throws IOException {
        Files.createDirectories(context);
        Files.writeString(context.resolve("hello.txt"), "hello " + Commands.randomSuffix() + "\n");
        Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\nCMD [\"/hello.txt\"]\n");
        String out = dockerOk(config, Duration.ofSeconds(90), "build", "--force-rm", "-q", "-t", tag, context.toString());
        String[] lines = out.split("\\R");
        return lines[lines.length - 1].trim();
    }
}
