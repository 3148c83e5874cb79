package dev.berth.cluster;

import dev.berth.BerthApplication;
import dev.berth.clients.Commands;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One Berth replica as a separate OS process (a {@code java} child of the test JVM, on the test JVM's class
 * path), so that a test can kill it hard ({@link #kill()}: SIGKILL, no shutdown hook, no graceful drain).
 * Its whole output goes to a log file under {@code target/cluster-logs/}; {@link #tail(int)} reads it back
 * for failure messages.
 */
public final class BerthProcess implements AutoCloseable {

    /** Three JVMs start side by side on two busy cores: generous. */
    static final Duration STARTUP = Duration.ofSeconds(180);

    private final String name;
    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;
    /** How it was started, so that {@link #replacement()} starts the same replica again. */
    private final List<String> jvmArgs;
    private final String secret;
    private final String[] berthArgs;

    private BerthProcess(String name, Process process, int port, int managementPort, Path log, List<String> jvmArgs,
            String secret, String[] berthArgs) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
        this.jvmArgs = jvmArgs;
        this.secret = secret;
        this.berthArgs = berthArgs;
    }

    /**
     * Starts a replica on the Azure store (Azurite) and waits until its readiness probe answers 200. A port
     * taken between choosing it and binding it is retried with other ports.
     */
    public static BerthProcess startOnAzure(String name, String connectionString, String container, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--berth.storage.backend=azure",
                "--berth.storage.azure.connection-string=" + connectionString,
                "--berth.storage.azure.container=" + container));
        args.addAll(List.of(extraArgs));
        return start(name, List.of("-Xmx512m"), connectionString, args.toArray(String[]::new));
    }

    /**
     * Starts one replica per name side by side on the Azure store and waits until all are ready. When one
     * does not start, those that did are stopped and the failure says why each did not.
     */
    public static List<BerthProcess> startAllOnAzure(String connectionString, String container, String... names) {
        // A thread each: the common pool may have a single thread on a two-core machine.
        ExecutorService pool = Executors.newFixedThreadPool(names.length);
        List<BerthProcess> started = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        try {
            List<CompletableFuture<BerthProcess>> starting = Arrays.stream(names)
                    .map(name -> CompletableFuture.supplyAsync(() -> startOnAzure(name, connectionString, container), pool))
                    .toList();
            for (CompletableFuture<BerthProcess> replica : starting) {
                try {
                    started.add(replica.join());
                } catch (CompletionException e) {
                    failures.add(e.getCause());
                }
            }
        } finally {
            pool.shutdown();
        }
        if (!failures.isEmpty()) {
            started.parallelStream().forEach(BerthProcess::close);
            AssertionError error = new AssertionError("replicas did not start", failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
        return started;
    }

    /**
     * Starts a replica with its own JVM options (heap size, ...) and Berth arguments, which must choose the
     * store, and waits until it is ready. {@code secret} (may be null) is kept out of the log's command line.
     */
    public static BerthProcess start(String name, List<String> jvmArgs, String secret, String... berthArgs) {
        for (int attempt = 1; ; attempt++) {
            try {
                int port = Commands.freePort();
                int managementPort = Commands.freePort();
                while (managementPort == port) {
                    managementPort = Commands.freePort();
                }
                return startOnce(name, jvmArgs, secret, port, managementPort, berthArgs);
            } catch (PortTaken e) {
                if (attempt >= 3) {
                    throw new AssertionError(e.getMessage());
                }
            }
        }
    }

    /**
     * Starts this (dead) replica again, same name, arguments and ports, so that a load balancer's list of
     * upstreams stays right; waits until it is ready. A port still held for a moment by the dead process is
     * retried for a few seconds.
     */
    public BerthProcess replacement() {
        if (isAlive()) {
            throw new IllegalStateException(this + " is still running");
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(name, jvmArgs, secret, port, managementPort, berthArgs);
            } catch (PortTaken e) {
                if (attempt >= 10) {
                    throw new AssertionError(e.getMessage());
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", interrupted);
                }
            }
        }
    }

    private static BerthProcess startOnce(String name, List<String> jvmArgs, String secret, int port,
            int managementPort, String... extraArgs) throws PortTaken {
        Path log = logDirectory().resolve(name + "-" + port + ".log");
        for (int n = 2; Files.exists(log); n++) { // a replacement on the same port keeps its predecessor's log
            log = logDirectory().resolve(name + "-" + port + "-" + n + ".log");
        }
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-XX:+UseSerialGC"));
        command.addAll(jvmArgs);
        command.addAll(List.of(
                "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED",
                "-cp", classPath(),
                BerthApplication.class.getName(),
                "--server.port=" + port,
                "--management.server.port=" + managementPort,
                "--server.address=127.0.0.1",
                "--management.server.address=127.0.0.1"));
        command.addAll(List.of(extraArgs));
        Process process;
        try {
            Files.writeString(log, "# replica " + name + " on 127.0.0.1:" + port + " (management " + managementPort
                    + "), class path from " + classPathSource() + "\n# " + String.join(" ", command.subList(
                            command.indexOf(BerthApplication.class.getName()), command.size()))
                            .replace(secret == null ? "\u0000" : secret, "<secret>") + "\n", StandardCharsets.UTF_8);
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start replica " + name, e);
        }
        BerthProcess replica = new BerthProcess(name, process, port, managementPort, log, List.copyOf(jvmArgs),
                secret, extraArgs.clone());
        try {
            Commands.awaitHttp200(replica.managementUri("/actuator/health/readiness"), STARTUP, process, log);
        } catch (AssertionError e) {
            replica.kill();
            String tail = replica.tail(60);
            if (tail.contains("already in use")) {
                throw new PortTaken("replica " + name + ": port taken\n" + tail);
            }
            // The message already ends with the log's last lines; a stack trace's causes may be further up.
            throw new AssertionError("replica " + name + " did not become ready: " + e.getMessage() + "\n"
                    + replica.errors(20), e);
        }
        return replica;
    }

    /**
     * The class path to give the child: surefire's test class path when it runs us (its {@code java.class.path}
     * may be a manifest-only booter jar; that would work too, but the plain list is clearer in a process
     * listing), else this JVM's own.
     */
    static String classPath() {
        return System.getProperty(classPathSource());
    }

    private static String classPathSource() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? "surefire.test.class.path" : "java.class.path";
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static Path logDirectory() {
        Path directory = Path.of("target", "cluster-logs").toAbsolutePath();
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return directory;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public int managementPort() {
        return managementPort;
    }

    /** {@code 127.0.0.1:port}. */
    public String hostAndPort() {
        return "127.0.0.1:" + port;
    }

    public URI uri(String path) {
        return URI.create("http://" + hostAndPort() + path);
    }

    public URI managementUri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL ({@link Process#destroyForcibly()}), then waits until the process is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("replica " + name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@code lines} lines of the replica's output, headed by the log's path. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "----- last " + lines + " lines of replica " + name + " (" + log + ") -----\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n-----";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Up to {@code max} lines of the log that name errors: ERROR lines and the causes of stack traces. */
    public String errors(int max) {
        try {
            List<String> errors = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(line -> line.contains(" ERROR ") || line.startsWith("Caused by:")
                            || line.contains("APPLICATION FAILED TO START") || line.startsWith("Description:")
                            || line.startsWith("Action:"))
                    .limit(max)
                    .toList();
            return errors.isEmpty() ? "" : "----- errors in " + log + " -----\n" + String.join("\n", errors) + "\n-----";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGTERM (Berth drains in-flight requests), SIGKILL if it takes longer than 20 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "replica " + name + " (" + hostAndPort() + ", pid " + process.pid() + (isAlive() ? "" : ", dead") + ")";
    }

    private static final class PortTaken extends Exception {
        PortTaken(String message) {
            super(message);
        }
    }
}
