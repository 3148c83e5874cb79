package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.clients.PodmanAndBuildah;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Images as people push them, for the UI tests to look at: one the Docker Engine built from a Dockerfile and
 * pushed, and a two-platform index Buildah and Podman built and pushed. All built offline FROM scratch from a
 * few small files (nothing runs, so no emulator is needed for arm64), and pushed with a user's credentials.
 * Docker's images are removed on {@link #close()}; Podman keeps its state under the given folder.
 */
final class ClientPushedImages implements AutoCloseable {

    private static final Duration BUILD = Duration.ofSeconds(60);
    private static final Duration TRANSFER = Duration.ofSeconds(60);
    private static final Pattern PUSHED = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: (\\d+)");

    /** What a Dockerfile sets, for the pages to show. */
    static final String GREETING = "GREETING=<b>hello</b>";
    static final String SOURCE_LABEL = "org.opencontainers.image.source=https://example.com/app";

    private final Path work;
    private final String hostAndPort;
    private final String user;
    private final String password;
    private final Path dockerConfig;
    private final List<String> dockerReferences = new ArrayList<>();

    ClientPushedImages(Path work, String hostAndPort, String user, String password) {
        this.work = work;
        this.hostAndPort = hostAndPort;
        this.user = user;
        this.password = password;
        this.dockerConfig = work.resolve("docker-config");
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        // What `docker login` would leave, without the password going through a terminal.
        write(dockerConfig.resolve("config.json"), "{\"auths\":{\"" + hostAndPort + "\":{\"auth\":\"" + auth + "\"}}}");
    }

    /** What {@code docker push} said it pushed, and the image's creation time as Docker has it. */
    record DockerPush(String digest, int size, String created) {
    }

    /**
     * Builds with the Docker Engine an image of two COPY layers with an entrypoint, a command, an environment
     * variable and a label, and pushes it to {@code repository:tag}.
     */
    DockerPush dockerImage(String repository, String tag) {
        Commands.requireDockerDaemon();
        Path context = work.resolve("docker-context");
        write(context.resolve("app"), "#!/bin/app " + Commands.randomSuffix() + "\n");
        write(context.resolve("greeting.txt"), "hello from docker\n");
        write(context.resolve("Dockerfile"), String.join("\n",
                "FROM scratch",
                "COPY app /app",
                "COPY greeting.txt /etc/app/greeting.txt",
                "ENV " + GREETING,
                "LABEL " + SOURCE_LABEL,
                "ENTRYPOINT [\"/app\"]",
                "CMD [\"--serve\"]",
                ""));
        String reference = hostAndPort + "/" + repository + ":" + tag;
        dockerReferences.add(reference);
        docker(BUILD, "build", "--force-rm", "-q", "-t", reference, context.toString());
        String created = docker(BUILD, "image", "inspect", "--format", "{{.Created}}", reference);
        Matcher pushed = PUSHED.matcher(docker(TRANSFER, "push", reference));
        assertThat(pushed.find()).as("docker push names the manifest it pushed").isTrue();
        return new DockerPush(pushed.group(1), Integer.parseInt(pushed.group(2)), created);
    }

    /**
     * Builds with Buildah an arm64 and with Podman an amd64 image, puts both in a Podman manifest list and pushes
     * it, with both images, to {@code repository:tag}; returns the digest of the index pushed.
     */
    String podmanIndex(String repository, String tag) {
        PodmanAndBuildah.requireInstalled();
        // Podman refuses a --runroot longer than 50 characters: keep its folder near the top.
        PodmanAndBuildah tools = PodmanAndBuildah.in(work.resolve("podman"));
        String local = "localhost/ui-test/app";
        List<String> images = new ArrayList<>();
        for (String architecture : List.of("arm64", "amd64")) {
            Path context = work.resolve("podman-context-" + architecture);
            write(context.resolve("app"), "app for " + architecture + "\n");
            write(context.resolve("Containerfile"), String.join("\n",
                    "FROM scratch",
                    "COPY app /app",
                    "ENTRYPOINT [\"/app\"]",
                    ""));
            String image = local + ":" + architecture;
            if (architecture.equals("arm64")) {
                tools.buildah(BUILD, "bud", "-q", "--os", "linux", "--arch", architecture, "-t", image, context.toString());
            } else {
                tools.podman(BUILD, "build", "-q", "--platform", "linux/" + architecture, "-t", image, context.toString());
            }
            images.add(image);
        }
        String list = local + ":list";
        tools.podman(TRANSFER, "manifest", "create", list);
        for (String image : images) {
            tools.podman(TRANSFER, "manifest", "add", list, "containers-storage:" + image);
        }
        Path digestFile = work.resolve("podman-index.digest");
        tools.podman(TRANSFER, "manifest", "push", "--all", "--tls-verify=false", "--creds", user + ":" + password,
                "--digestfile", digestFile.toString(), list, "docker://" + hostAndPort + "/" + repository + ":" + tag);
        try {
            return Files.readString(digestFile).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String docker(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(Commands.docker(), "--config", dockerConfig.toString()));
        command.addAll(List.of(args));
        return Commands.run(timeout, Commands.dockerEnv(), command.toArray(String[]::new)).stdout().trim();
    }

    @Override
    public void close() {
        for (String reference : dockerReferences) {
            Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", reference);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
