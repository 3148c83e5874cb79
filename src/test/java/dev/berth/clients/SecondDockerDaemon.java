package dev.berth.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Docker daemon of a test's own, next to the main one (which serves the rest of the suite and Testcontainers
 * and must not be reconfigured): its own data and exec roots, socket, pid file and managed containerd, and a
 * {@code daemon.json} naming one registry mirror, as an operator writes it. A bridge of its own
 * ({@link #BRIDGE}, made here and deleted on close) and no iptables rules: a dockerd without any bridge
 * deletes the host's {@code docker0} as it starts, and the main daemon's containers lose their network. The
 * vfs storage driver, which works on any filesystem and needs no mounts. It pulls images; it is not meant to
 * run containers.
 */
final class SecondDockerDaemon implements AutoCloseable {

    /** The second daemon's bridge: never {@code docker0}, which belongs to the main daemon. */
    static final String BRIDGE = "berthmirror0";
    private static final String BRIDGE_ADDRESS = "172.31.250.1/24";
    private static final List<String> DOCKERD_LOCATIONS = List.of("/usr/sbin/dockerd", "/usr/bin/dockerd");

    private final Process process;
    private final Path root;
    private final Path socket;
    private final Path log;

    private SecondDockerDaemon(Process process, Path root) {
        this.process = process;
        this.root = root;
        this.socket = root.resolve("docker.sock");
        this.log = root.resolve("dockerd.log");
    }

    /** The installed dockerd, or null. */
    static Path dockerd() {
        return DOCKERD_LOCATIONS.stream().map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** True when this JVM runs as root, which dockerd needs. */
    static boolean runningAsRoot() {
        return Commands.run("id", "-u").equals("0");
    }

    /**
     * Starts dockerd with {@code registryMirror} (an {@code http://} URL) as its only registry mirror; waits
     * until its socket answers {@code docker version}. Its folders live under a new short folder in /tmp
     * (unix socket paths are limited to 108 bytes, containerd's included).
     */
    static SecondDockerDaemon start(String registryMirror) {
        Path dockerd = dockerd();
        if (dockerd == null) {
            throw new AssertionError("dockerd is not installed; run scripts/install-test-deps (as root) first");
        }
        boolean hostBridge = ip("link", "show", "docker0").exitCode() == 0;
        Path root;
        Process process;
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "berth-dockerd-");
            createBridge();
            Path config = root.resolve("daemon.json");
            Files.writeString(config, "{\"registry-mirrors\": [\"" + registryMirror + "\"]}\n", StandardCharsets.UTF_8);
            process = new ProcessBuilder(dockerd.toString(),
                    "--config-file", config.toString(),
                    "--data-root", root.resolve("data").toString(),
                    "--exec-root", root.resolve("exec").toString(),
                    "--pidfile", root.resolve("docker.pid").toString(),
                    "--host", "unix://" + root.resolve("docker.sock"),
                    "--storage-driver", "vfs",
                    "--bridge", BRIDGE,
                    "--iptables=false",
                    "--ip6tables=false")
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("dockerd.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + dockerd, e);
        }
        SecondDockerDaemon daemon = new SecondDockerDaemon(process, root);
        try {
            daemon.awaitAnswer(Duration.ofSeconds(30));
            if (hostBridge && ip("link", "show", "docker0").exitCode() != 0) {
                throw new AssertionError("starting a second dockerd removed the main daemon's docker0 bridge");
            }
        } catch (RuntimeException | Error e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    private void awaitAnswer(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Commands.Result last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("dockerd exited with " + process.exitValue() + " before answering\n"
                        + Commands.tail(log));
            }
            if (Files.exists(socket)) {
                last = exec(Duration.ofSeconds(10), "version", "--format", "{{.Server.Version}}");
                if (last.exitCode() == 0) {
                    return;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for dockerd", e);
            }
        }
        throw new AssertionError("dockerd did not answer on " + socket + " within " + timeout + "\n"
                + (last == null ? "no socket" : last.describe()) + "\n" + Commands.tail(log));
    }

    /** Runs a docker command against this daemon; fails with its full output and the daemon's log unless it exits 0. */
    String docker(Duration timeout, String... args) {
        Commands.Result result = exec(timeout, args);
        if (result.exitCode() != 0) {
            throw new AssertionError("command failed\n" + result.describe() + "\n" + Commands.tail(log));
        }
        return result.stdout().trim();
    }

    /** Runs a docker command against this daemon and returns whatever happened. */
    Commands.Result exec(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(Commands.docker(), "--host", "unix://" + socket));
        command.addAll(List.of(args));
        return Commands.exec(timeout, Commands.dockerEnv(), command.toArray(String[]::new));
    }

    /**
     * Stops dockerd (SIGTERM, which also stops its containerd and undoes its mounts; SIGKILL to both after
     * 20 s), lazily unmounts whatever it left under its folder, and deletes the folder.
     */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        unmountUnder(root);
        deleteTree(root);
        ip("link", "del", BRIDGE);
    }

    /** The daemon's own bridge, made anew (one left by a killed run is replaced). */
    private static void createBridge() {
        ip("link", "del", BRIDGE);
        for (String[] step : new String[][] {{"link", "add", BRIDGE, "type", "bridge"},
                {"addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE}, {"link", "set", BRIDGE, "up"}}) {
            Commands.Result result = ip(step);
            if (result.exitCode() != 0) {
                throw new AssertionError("cannot make the second daemon's bridge\n" + result.describe());
            }
        }
    }

    private static Commands.Result ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        return Commands.exec(Duration.ofSeconds(10), Map.of(), command.toArray(String[]::new));
    }

    private static void unmountUnder(Path root) {
        try {
            List<String> mountPoints = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .map(line -> line.split(" ")[1])
                    .filter(point -> point.startsWith(root + "/"))
                    .sorted(Comparator.reverseOrder())
                    .toList();
            for (String point : mountPoints) {
                Commands.exec(Duration.ofSeconds(10), Map.of(), "umount", "-l", point);
            }
        } catch (IOException e) {
            // nothing mounted can be seen; the deletion below says what it cannot delete
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.out.println("cannot delete all of " + root + ": " + e);
        }
    }
}
