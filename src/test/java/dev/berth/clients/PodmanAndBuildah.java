package dev.berth.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's podman and buildah with every bit of their state inside one folder, so that a test leaves nothing
 * behind: image storage ({@code --root}, {@code --runroot}, on the {@code vfs} driver, which needs no kernel
 * overlay support), podman's own temp files and events log, network configuration and the big temporary
 * files of image copies ({@code TMPDIR}).
 *
 * <p>Two paths cannot be moved by any flag when running as root: the blob-info cache
 * ({@code /var/lib/containers/cache}) and netavark's run directory ({@code /run/containers}). So each command
 * runs in a private mount namespace ({@code unshare --mount}) where folders of ours are bind-mounted over
 * {@code /run} and {@code /var/lib/containers}; the namespace, and with it those mounts, ends with the command.
 * There is no systemd here: cgroups are managed directly ({@code cgroupfs}) and events go to a file.
 */
public final class PodmanAndBuildah {

    static final String PODMAN = "/usr/bin/podman";
    static final String BUILDAH = "/usr/bin/buildah";
    static final String UNSHARE = "/usr/bin/unshare";

    /**
     * Mounts {@code $1} over /run and {@code $2} over /var/lib/containers, then runs the rest. When
     * /var/lib/containers does not exist (no mount point), an empty tmpfs over /var/lib provides one.
     */
    private static final String PRIVATE_MOUNTS = String.join("; ",
            "run=$1; lib=$2; shift 2",
            "mount --bind \"$run\" /run",
            "if [ ! -d /var/lib/containers ]; then mount -t tmpfs berth-var-lib /var/lib; mkdir /var/lib/containers; fi",
            "mount --bind \"$lib\" /var/lib/containers",
            "exec \"$@\"");

    private final Path folder;

    private PodmanAndBuildah(Path folder) {
        this.folder = folder;
    }

    /** Fails early, with a hint, when podman, buildah or unshare is missing. */
    public static void requireInstalled() {
        Commands.requireExecutable(PODMAN);
        Commands.requireExecutable(BUILDAH);
        Commands.requireExecutable(UNSHARE);
    }

    /** The tools with their state in {@code folder} (created if need be). */
    public static PodmanAndBuildah in(Path folder) {
        try {
            for (String sub : List.of("root", "runroot", "tmp", "networks", "bigfiles", "run", "var-lib-containers")) {
                Files.createDirectories(folder.resolve(sub));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new PodmanAndBuildah(folder.toAbsolutePath());
    }

    /** Runs {@code podman ARGS}; fails with its full output unless it exits 0. Returns trimmed stdout. */
    public String podman(Duration timeout, String... args) {
        return Commands.run(timeout, env(), podmanCommand(args)).stdout().trim();
    }

    /** Runs {@code podman ARGS} and returns whatever happened. */
    Commands.Result execPodman(Duration timeout, String... args) {
        return Commands.exec(timeout, env(), podmanCommand(args));
    }

    /** Runs {@code buildah ARGS}; fails with its full output unless it exits 0. Returns trimmed stdout. */
    public String buildah(Duration timeout, String... args) {
        List<String> tool = new ArrayList<>(List.of(BUILDAH,
                "--root", folder.resolve("root").toString(),
                "--runroot", folder.resolve("runroot").toString(),
                "--storage-driver", "vfs"));
        tool.addAll(List.of(args));
        return Commands.run(timeout, env(), inPrivateMounts(tool)).stdout().trim();
    }

    private String[] podmanCommand(String... args) {
        List<String> tool = new ArrayList<>(List.of(PODMAN,
                "--root", folder.resolve("root").toString(),
                "--runroot", folder.resolve("runroot").toString(),
                "--storage-driver", "vfs",
                "--cgroup-manager", "cgroupfs",
                "--events-backend", "file",
                "--tmpdir", folder.resolve("tmp").toString(),
                "--network-config-dir", folder.resolve("networks").toString()));
        tool.addAll(List.of(args));
        return inPrivateMounts(tool);
    }

    private String[] inPrivateMounts(List<String> tool) {
        List<String> command = new ArrayList<>(List.of(UNSHARE, "--mount", "--propagation", "private", "--",
                "sh", "-ec", PRIVATE_MOUNTS, "sh",
                folder.resolve("run").toString(), folder.resolve("var-lib-containers").toString()));
        command.addAll(tool);
        return command.toArray(String[]::new);
    }

    private Map<String, String> env() {
        return Map.of("TMPDIR", folder.resolve("bigfiles").toString());
    }
}
