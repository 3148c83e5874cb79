package dev.berth.clients;

import dev.berth.support.BerthServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the real client tools (docker, skopeo, docker-registry) for the client tests: processes with a
 * timeout whose whole output lands in the failure message, free loopback ports, and the registries the
 * tests push to.
 *
 * <p>Set {@code -Dberth.clients.against=distribution} (or the environment variable
 * {@code BERTH_CLIENTS_AGAINST=distribution}) to run the client tests against CNCF Distribution's
 * {@code docker-registry} in place of Berth: that checks the harness itself, so that a failure against
 * Berth is Berth's. Such a run always fails ({@link ClientTestsRanAgainstBerthTest}): it says nothing of Berth.
 *
 * <p>Every command, its exit code, duration and stderr are echoed to standard output, which surefire keeps
 * in {@code target/surefire-reports/dev.berth.clients.*-output.txt} next to Berth's own log.
 */
public final class Commands {

    /** Debian's docker-registry package (CNCF Distribution 2.8.2). */
    public static final String DOCKER_REGISTRY = "/usr/bin/docker-registry";

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

    private Commands() {
    }

    /** What a finished process printed. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        public String describe() {
            return "command: " + String.join(" ", command) + "\nexit code: " + exitCode
                    + "\n----- stdout -----\n" + stdout + "\n----- stderr -----\n" + stderr + "\n-----";
        }
    }

    /** Runs {@code command}; fails with its full output unless it exits 0. Returns trimmed stdout. */
    public static String run(String... command) {
        return run(DEFAULT_TIMEOUT, Map.of(), command).stdout().trim();
    }

    /** Runs {@code command} with extra environment variables; fails with its full output unless it exits 0. */
    public static Result run(Duration timeout, Map<String, String> env, String... command) {
        Result result = exec(timeout, env, command);
        if (result.exitCode() != 0) {
            throw new AssertionError("command failed\n" + result.describe());
        }
        return result;
    }

    /** Runs {@code command} and returns whatever happened (a timeout fails). */
    public static Result exec(Duration timeout, Map<String, String> env, String... command) {
        Path out = null;
        Path err = null;
        long started = System.nanoTime();
        try {
            out = Files.createTempFile("berth-cmd-", ".out");
            err = Files.createTempFile("berth-cmd-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                Result partial = new Result(List.of(command), -1, read(out), read(err));
                throw new AssertionError("command timed out after " + timeout + "\n" + partial.describe());
            }
            Result result = new Result(List.of(command), process.exitValue(), read(out), read(err));
            // Into the test's output file (target/surefire-reports/*-output.txt), for diagnosis.
            System.out.println("$ " + String.join(" ", command) + "  -> exit " + result.exitCode() + " in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
            if (!result.stderr().isBlank()) {
                System.out.println(result.stderr().strip());
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + Arrays.toString(command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + Arrays.toString(command), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** A port nobody listens on right now on 127.0.0.1. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A short random lower-case suffix for repository names and tags. */
    public static String randomSuffix() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);
    }

    /**
     * The docker client to use. Debian's {@code /usr/bin/docker} matches the Debian daemon's API exactly;
     * a newer client earlier on PATH (e.g. /usr/local/bin/docker v28) also negotiates down, but the
     * Debian one needs no negotiation.
     */
    public static String docker() {
        return Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
    }

    /** Environment for docker commands: the legacy builder (there is no BuildKit here). */
    public static Map<String, String> dockerEnv() {
        return Map.of("DOCKER_BUILDKIT", "0");
    }

    /** Runs a docker command; fails with its full output unless it exits 0. Returns trimmed stdout. */
    public static String docker(Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add(docker());
        command.addAll(List.of(args));
        return run(timeout, dockerEnv(), command.toArray(String[]::new)).stdout().trim();
    }

    /** Fails the test class early, with a hint, when no Docker daemon answers. */
    public static void requireDockerDaemon() {
        Result info = exec(Duration.ofSeconds(30), dockerEnv(), docker(), "info", "--format", "{{.ServerVersion}}");
        if (info.exitCode() != 0) {
            throw new AssertionError("no Docker daemon answers; run scripts/install-test-deps (as root) first\n"
                    + info.describe());
        }
    }

    /** Fails early, with a hint, when a tool is not installed. */
    public static void requireExecutable(String path) {
        if (!Files.isExecutable(Path.of(path)) && exec(Duration.ofSeconds(10), Map.of(), "which", path).exitCode() != 0) {
            throw new AssertionError(path + " is not installed; run scripts/install-test-deps (as root) first");
        }
    }

    /** Polls {@code url} until it answers 200 or {@code timeout} passes. */
    public static void awaitHttp200(URI url, Duration timeout, Process process, Path log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                throw new AssertionError("process exited with " + process.exitValue() + " before " + url
                        + " answered\n" + tail(log));
            }
            try {
                HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection();
                connection.setConnectTimeout(1000);
                connection.setReadTimeout(2000);
                int status = connection.getResponseCode();
                connection.disconnect();
                if (status == 200) {
                    return;
                }
                last = "HTTP " + status;
            } catch (IOException e) {
                last = e.toString();
            }
            sleep(100);
        }
        throw new AssertionError(url + " did not answer 200 within " + timeout + " (last: " + last + ")\n" + tail(log));
    }

    // ---------------------------------------------------------------------------------------------------
    // Registries

    /** A running registry the clients talk to. */
    public interface Registry extends AutoCloseable {

        /** {@code 127.0.0.1:port}, the form docker and skopeo take in image references. */
        String hostAndPort();

        /** What this is, for messages: "berth" or "distribution". */
        String kind();

        @Override
        void close();
    }

    /** True when {@code -Dberth.clients.against=distribution} asks to test the harness against Distribution. */
    public static boolean againstDistribution() {
        String value = System.getProperty("berth.clients.against", System.getenv("BERTH_CLIENTS_AGAINST"));
        return value != null && value.trim().equalsIgnoreCase("distribution");
    }

    /**
     * Starts the registry under test on the filesystem store at {@code root}: Berth, or docker-registry when
     * {@link #againstDistribution()}. {@code workDir} takes docker-registry's config and log.
     */
    public static Registry startRegistryUnderTest(Path root, Path workDir) {
        if (againstDistribution()) {
            return Distribution.start(root, workDir);
        }
        return berth(root);
    }

    /** Starts Berth on the filesystem store at {@code root}. */
    public static Registry berth(Path root) {
        BerthServer server = BerthServer.startOnFilesystem(root);
        return new Registry() {
            @Override
            public String hostAndPort() {
                return server.hostAndPort();
            }

            @Override
            public String kind() {
                return "berth";
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }

    /** CNCF Distribution ({@code /usr/bin/docker-registry serve CONFIG}) on a free loopback port. */
    public static final class Distribution implements Registry {

        private final Process process;
        private final int port;
        private final Path log;

        private Distribution(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        /** Starts docker-registry with its filesystem store at {@code root}; waits until {@code GET /v2/} is 200. */
        public static Distribution start(Path root, Path workDir) {
            requireExecutable(DOCKER_REGISTRY);
            // freePort() can race with another process taking the port: try a few ports.
            for (int attempt = 1; ; attempt++) {
                try {
                    return startOnce(root, workDir, freePort());
                } catch (AssertionError e) {
                    if (attempt >= 3 || !String.valueOf(e.getMessage()).contains("address already in use")) {
                        throw e;
                    }
                }
            }
        }

        private static Distribution startOnce(Path root, Path workDir, int port) {
            try {
                Files.createDirectories(root);
                Files.createDirectories(workDir);
                Path config = writeConfig(root, workDir.resolve("docker-registry-" + port + ".yml"), port);
                Path log = workDir.resolve("docker-registry-" + port + ".log");
                Process process = new ProcessBuilder(DOCKER_REGISTRY, "serve", config.toString())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
                Distribution distribution = new Distribution(process, port, log);
                try {
                    awaitHttp200(URI.create("http://127.0.0.1:" + port + "/v2/"), Duration.ofSeconds(30), process, log);
                } catch (RuntimeException | Error e) {
                    distribution.close();
                    throw e;
                }
                return distribution;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** What {@code docker-registry garbage-collect} printed: the counts of its last line, and all of it. */
        public record Collection(int markedBlobs, int eligibleBlobs, int eligibleManifests, String output) {
        }

        /** Distribution 2.8's last line of a collection, dry or not. */
        private static final Pattern COLLECTION_SUMMARY = Pattern.compile(
                "(\\d+) blobs marked, (\\d+) blobs and (\\d+) manifests eligible for deletion");

        /**
         * Runs Distribution's own offline garbage collector on the filesystem store at {@code root}, which no
         * registry may be serving meanwhile; with {@code dryRun} it only reports what it would delete.
         */
        public static Collection garbageCollect(Path root, Path workDir, boolean dryRun) {
            requireExecutable(DOCKER_REGISTRY);
            Path config;
            try {
                Files.createDirectories(workDir);
                config = writeConfig(root, workDir.resolve("docker-registry-gc.yml"), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<String> command = new ArrayList<>(List.of(DOCKER_REGISTRY, "garbage-collect"));
            if (dryRun) {
                command.add("--dry-run");
            }
            command.add(config.toString());
            Result result = run(DEFAULT_TIMEOUT, Map.of(), command.toArray(String[]::new));
            Matcher summary = COLLECTION_SUMMARY.matcher(result.stdout() + result.stderr());
            if (!summary.find()) {
                throw new AssertionError("no summary line in docker-registry garbage-collect's output\n"
                        + result.describe());
            }
            return new Collection(Integer.parseInt(summary.group(1)), Integer.parseInt(summary.group(2)),
                    Integer.parseInt(summary.group(3)), result.stdout() + result.stderr());
        }

        private static Path writeConfig(Path root, Path config, int port) throws IOException {
            Files.writeString(config, String.join("\n",
                    "version: 0.1",
                    "log:",
                    "  level: warn",
                    "  accesslog:",
                    "    disabled: true",
                    "storage:",
                    "  filesystem:",
                    "    rootdirectory: " + root.toAbsolutePath(),
                    "  delete:",
                    "    enabled: true",
                    "http:",
                    "  addr: 127.0.0.1:" + port,
                    ""), StandardCharsets.UTF_8);
            return config;
        }

        @Override
        public String hostAndPort() {
            return "127.0.0.1:" + port;
        }

        @Override
        public String kind() {
            return "distribution";
        }

        public Path log() {
            return log;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------

    static String tail(Path log) {
        if (log == null || !Files.exists(log)) {
            return "";
        }
        try {
            List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
            return "----- last lines of " + log + " -----\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    static Map<String, String> env(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file; nothing to do
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
