package dev.berth.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.Azurite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shell examples of README.md and docs/, run as a reader would paste them, against the jar Maven packaged
 * (this class runs after {@code package}, see pom.xml). The text of each example is changed only where a test
 * machine must differ from the reader's, and nowhere else:
 * <ul>
 * <li>Berth's ports ({@code 5000}, {@code 5001}) and its filesystem store ({@code ./data}) become free ports and
 * a temporary folder, given as extra arguments to each {@code java -jar} and {@code scripts/run};</li>
 * <li>{@code registry.example.com}, {@code localhost:5000} and {@code berth:5001} name that Berth (the host
 * name alone, {@code localhost}, in a certificate);</li>
 * <li>{@code /etc/berth} is a temporary folder; passwords come from the environment or standard input.</li>
 * </ul>
 * Every shell block of the docs is either run by a test here or listed in {@link #NOT_RUN} with the reason, so a
 * new example cannot go unchecked.
 */
class ShellExamplesTest {

    static final Pattern SHELL_BLOCK = Pattern.compile("(?ms)^```(?:sh|bash|shell)\\n(.*?)^```");
    static final String JAR = "java -jar target/berth-0.1.0.jar";

    /** Examples no test runs, by file and first line, with the reason. */
    static final Map<String, String> NOT_RUN = Map.of(
            "README.md: scripts/test", "the test command: it runs this suite",
            "README.md: ./mvnw -Pmutation test-compile org.pitest:pitest-maven:mutationCoverage",
            "mutation testing runs for 15-20 minutes per package",
            "README.md: bench/run      # full run, ~25 min; as root on a fresh machine it first installs what it needs",
            "the benchmark runs for 6-25 minutes and installs tools as root",
            "docs/kubernetes.md: docker build -t <your-registry>/berth:0.1.0 .",
            "DockerImageTest builds the image with this Dockerfile (from source under mvn verify)",
            "docs/kubernetes.md: RG=berth; LOC=westeurope; AKS=berth-aks; SA=berthstore$RANDOM",
            "needs an Azure subscription",
            "docs/kubernetes.md: kubectl create namespace registry", "needs a Kubernetes cluster",
            "docs/kubernetes.md: helm upgrade --install berth helm/berth -n registry -f values-aks.yaml",
            "needs a Kubernetes cluster; HelmChartTest renders the chart with the page's values",
            "docs/kubernetes.md: kubectl get svc -n ingress-nginx ingress-nginx-controller   "
                    + "# point registry.example.com's DNS at EXTERNAL-IP",
            "needs a Kubernetes cluster",
            "docs/kubernetes.md: docker login registry.example.com      "
                    + "# when berth.auth.mode is htpasswd or token (docs/auth.md)",
            "an interactive login through a cluster's ingress; the same tag, push and login run in README's quick "
                    + "start and docs/auth.md's examples");

    /** Examples the tests below run, by file and first line. */
    static final Set<String> RUN = Set.of(
            "README.md: scripts/run",
            "README.md: mkdir -p /tmp/hello && echo \"hello from Berth\" > /tmp/hello/hello.txt",
            "README.md: " + JAR + " --berth.storage.backend=azure \\",
            "docs/auth.md: mkdir -p /etc/berth",
            "docs/auth.md: " + JAR + " --berth.auth.mode=htpasswd --berth.auth.htpasswd.path=/etc/berth/htpasswd \\",
            "docs/auth.md: echo \"$PASSWORD\" | docker login --username alice --password-stdin registry.example.com",
            "docs/auth.md: mkdir -p /etc/berth#2",
            "docs/operations.md: curl -X POST http://berth:5001/actuator/uploadpurge",
            "docs/operations.md: curl -X POST http://berth:5001/actuator/garbagecollect",
            "docs/operations.md: curl http://berth:5001/actuator/garbagecollect",
            "docs/operations.md: curl -X POST http://berth:5001/actuator/garbagecollect/dry-run");

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static Map<String, String> examples;
    /** Images this class created in the Docker daemon, removed at the end. */
    static final List<String> createdImages = new ArrayList<>();

    @TempDir
    Path work;
    final List<Process> servers = new ArrayList<>();
    int port;
    int managementPort;
    Path etc;
    Path dockerConfig;

    @BeforeAll
    static void readExamples() throws IOException {
        examples = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        for (Path file : files) {
            Matcher block = SHELL_BLOCK.matcher(Files.readString(file));
            while (block.find()) {
                String firstLine = block.group(1).lines().findFirst().orElse("");
                String key = file + ": " + firstLine;
                for (int n = 2; examples.containsKey(key); n++) {
                    key = file + ": " + firstLine + "#" + n;
                }
                examples.put(key, block.group(1));
            }
        }
    }

    @AfterAll
    static void removeImages() {
        for (String image : createdImages) {
            Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", image);
        }
    }

    @AfterEach
    void stopServers() throws InterruptedException {
        for (Process server : servers) {
            server.descendants().forEach(ProcessHandle::destroy);
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.descendants().forEach(ProcessHandle::destroyForcibly);
                server.destroyForcibly();
            }
        }
    }

    @Test
    void everyShellExampleIsRunOrSaysWhyNot() {
        Set<String> unaccounted = new TreeSet<>(examples.keySet());
        unaccounted.removeAll(RUN);
        unaccounted.removeAll(NOT_RUN.keySet());
        assertThat(unaccounted).as("shell examples that no test runs and NOT_RUN does not explain").isEmpty();
        Set<String> gone = new TreeSet<>(RUN);
        gone.addAll(NOT_RUN.keySet());
        gone.removeAll(examples.keySet());
        assertThat(gone).as("examples this test names that the docs no longer have").isEmpty();
    }

    /** README's quick start: {@code scripts/run}, then a small image built and pushed to it. */
    @Test
    void theQuickStartRunsBerthAndTakesAPush() throws Exception {
        startServer("README.md: scripts/run", Map.of());
        String reference = "localhost:" + port + "/team/hello:1";
        createdImages.add(reference);
        try {
            run("README.md: mkdir -p /tmp/hello && echo \"hello from Berth\" > /tmp/hello/hello.txt", Map.of(), "");
        } finally {
            org.springframework.util.FileSystemUtils.deleteRecursively(Path.of("/tmp/hello"));
        }
        String image = Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", reference);

        HttpResponse<String> tags = get("/v2/team/hello/tags/list", null);
        assertThat(tags.statusCode()).isEqualTo(200);
        assertThat(tags.body()).contains("\"1\"");
        String pushed = JSON.readTree(get("/v2/team/hello/manifests/1", null).body()).path("config").path("digest")
                .asString();
        assertThat(pushed).as("the pushed image's config is the local image's id").isEqualTo(image);
    }

    /** README's Azure example, with the connection string of the test's Azurite. */
    @Test
    void theAzureExampleServesFromTheNamedContainer() throws Exception {
        startServer("README.md: " + JAR + " --berth.storage.backend=azure \\",
                Map.of("AZURE_STORAGE_CONNECTION_STRING", Azurite.get().getConnectionString()));
        byte[] blob = ("a blob in README's container " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        String digest = "sha256:" + dev.berth.support.Sha256.hex(blob);
        HttpResponse<String> upload = HTTP.send(HttpRequest.newBuilder(uri("/v2/readme/azure/blobs/uploads/?digest="
                + digest)).POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
        assertThat(Azurite.blobNames("registry", "docker/registry/v2/blobs/sha256/"))
                .contains("docker/registry/v2/blobs/sha256/" + digest.substring(7, 9) + "/" + digest.substring(7)
                        + "/data");
    }

    /** docs/auth.md: create users with htpasswd, start Berth with the file, log in and push as alice. */
    @Test
    void htpasswdUsersLogInAndPush() throws Exception {
        run("docs/auth.md: mkdir -p /etc/berth", Map.of(), "alice-secret\nalice-secret\nbob-secret\nbob-secret\n");
        startServer("docs/auth.md: " + JAR + " --berth.auth.mode=htpasswd --berth.auth.htpasswd.path=/etc/berth/htpasswd \\",
                Map.of());
        assertThat(get("/v2/", null).statusCode()).as("anonymous").isEqualTo(401);
        assertThat(get("/v2/", basic("bob", "bob-secret")).statusCode()).as("bob, the second user").isEqualTo(200);
        assertThat(get("/v2/", basic("alice", "wrong")).statusCode()).as("a wrong password").isEqualTo(401);

        String image = imageNamed("localhost:" + port + "/team/app:1");
        run("docs/auth.md: echo \"$PASSWORD\" | docker login --username alice --password-stdin registry.example.com",
                Map.of("PASSWORD", "alice-secret"), "");
        HttpResponse<String> manifest = get("/v2/team/app/manifests/1", basic("alice", "alice-secret"));
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(manifest.body()).path("config").path("digest").asString()).isEqualTo(image);
        assertThat(Files.readString(dockerConfig.resolve("config.json"))).as("docker logout ran")
                .doesNotContain("localhost:" + port);
    }

    /** docs/auth.md: a keystore made with keytool, and Berth serving TLS from it. */
    @Test
    void aKeystoreFromKeytoolServesTls() throws Exception {
        startServer("docs/auth.md: mkdir -p /etc/berth#2", Map.of("KEYSTORE_PASSWORD", "keystore-secret"));
        assertThat(Files.exists(etc.resolve("berth.p12"))).isTrue();
        Commands.Result https = Commands.exec(Duration.ofSeconds(30), Map.of(), "curl", "-sk", "-o", "/dev/null",
                "-w", "%{http_code} %{ssl_verify_result}", "https://localhost:" + port + "/v2/");
        assertThat(https.stdout()).as(https.describe()).startsWith("200 ");
    }

    /**
     * docs/operations.md: a purge and a garbage collection by hand answer with the reports the page shows, and
     * so does the last garbage collection report after it.
     */
    @Test
    void aPurgeAndACollectionByHandAnswerWithTheDocumentedReports() throws Exception {
        startServer(null, Map.of());
        for (String key : List.of("docs/operations.md: curl -X POST http://berth:5001/actuator/uploadpurge",
                "docs/operations.md: curl -X POST http://berth:5001/actuator/garbagecollect",
                "docs/operations.md: curl http://berth:5001/actuator/garbagecollect")) {
            String documented = examples.get(key).lines().filter(line -> line.startsWith("# {")).findFirst()
                    .orElseThrow().substring(2);
            JsonNode answer = JSON.readTree(run(key, Map.of(), ""));
            assertThat(fieldNames(answer)).as(key).isEqualTo(fieldNames(JSON.readTree(documented)));
            assertThat(answer.path("ran").asBoolean()).as(key).isTrue();
        }
        String dryRun = "docs/operations.md: curl -X POST http://berth:5001/actuator/garbagecollect/dry-run";
        JsonNode dry = JSON.readTree(run(dryRun, Map.of(), ""));
        assertThat(examples.get(dryRun)).contains("\"dryRun\":true", "\"pruned\":[");
        assertThat(dry.path("dryRun").asBoolean()).as(dryRun).isTrue();
        assertThat(dry.path("pruned").isArray()).as(dryRun).isTrue();
    }

    // ---------------------------------------------------------------------------------------------------

    /**
     * The example's text as it runs here: ports, store folder, host names and /etc/berth made the test's. Every
     * {@code java -jar} and {@code scripts/run} gets the test's ports and store folder as extra arguments.
     */
    String adapted(String key) throws IOException {
        String text = examples.get(key);
        assertThat(text).as("example " + key).isNotNull();
        String ours = ourArguments();
        return text.replace(JAR, JAR + ours)
                .replaceAll("(?m)^scripts/run$", "scripts/run" + ours)
                .replace("/etc/berth", etc.toString())
                .replace("CN=registry.example.com", "CN=localhost")
                .replace("dns:registry.example.com", "dns:localhost")
                .replace("registry.example.com", "localhost:" + port)
                .replace("localhost:5000", "localhost:" + port)
                .replace("berth:5001", "localhost:" + managementPort);
    }

    /** Runs an example to its end ({@code set -e}: any failing command fails it); returns its output. */
    String run(String key, Map<String, String> env, String stdin) throws IOException, InterruptedException {
        Path script = Files.writeString(work.resolve("example.sh"), "set -e\n" + adapted(key));
        Path input = Files.writeString(work.resolve("stdin"), stdin);
        Path output = work.resolve("example.out");
        Path errors = work.resolve("example.err");
        Process process = shell(script, env).redirectInput(input.toFile()).redirectOutput(output.toFile())
                .redirectError(errors.toFile()).start();
        assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("example finished: " + key).isTrue();
        String printed = Files.readString(output);
        assertThat(process.exitValue()).as("exit code of " + key + "\n" + printed + Files.readString(errors))
                .isZero();
        return printed;
    }

    /**
     * Starts the example whose last command runs Berth in the foreground ({@code null}: the packaged jar with
     * defaults) and waits until it serves.
     */
    void startServer(String key, Map<String, String> env) throws Exception {
        String text = key == null ? JAR + ourArguments() + "\n" : adapted(key);
        Path script = Files.writeString(work.resolve("server-" + servers.size() + ".sh"), "set -e\n" + text);
        Path log = work.resolve("server-" + servers.size() + ".log");
        Process server = shell(script, env).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        servers.add(server);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(server.isAlive()).as("Berth of " + key + " is running\n" + tail(log)).isTrue();
            // Over TLS when the example turns it on: Actuator's port takes the server's SSL settings.
            Commands.Result health = Commands.exec(Duration.ofSeconds(10), Map.of(), "curl", "-sk", "-o", "/dev/null",
                    "-w", "%{http_code}", "http://localhost:" + managementPort + "/actuator/health/readiness",
                    "https://localhost:" + managementPort + "/actuator/health/readiness");
            if (health.stdout().contains("200")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Berth of " + key + " never became ready\n" + tail(log));
    }

    /** The test's ports and store folder as Berth arguments, chosen (with the test's folders) on first use. */
    private String ourArguments() throws IOException {
        if (port == 0) {
            port = Commands.freePort();
            managementPort = Commands.freePort();
            etc = Files.createDirectories(work.resolve("etc-berth"));
            dockerConfig = Files.createDirectories(work.resolve("docker-config"));
        }
        return " --server.port=" + port + " --management.server.port=" + managementPort
                + " --berth.storage.filesystem.root=" + work.resolve("data");
    }

    /** bash without a controlling terminal (htpasswd then reads passwords from standard input). */
    ProcessBuilder shell(Path script, Map<String, String> env) {
        ProcessBuilder builder = new ProcessBuilder("setsid", "bash", script.toString())
                .directory(Path.of("").toAbsolutePath().toFile());
        Map<String, String> environment = new HashMap<>(env);
        environment.put("DOCKER_CONFIG", dockerConfig.toString());
        environment.putAll(Commands.dockerEnv());
        builder.environment().putAll(environment);
        return builder;
    }

    /**
     * The id of a small local image under {@code reference}: some examples push an image the reader already has
     * ({@code team/app:1} in docs/auth.md); one that exists here is used as it is, else a small one is built
     * under that name and removed afterwards.
     */
    static String imageNamed(String reference) throws IOException {
        Commands.Result existing = Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(),
                "image", "inspect", "--format", "{{.Id}}", reference);
        if (existing.exitCode() == 0) {
            return existing.stdout().trim();
        }
        Path context = Files.createTempDirectory("berth-example-image");
        Files.writeString(context.resolve("hello.txt"), "an image for the docs' examples " + System.nanoTime() + "\n");
        Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n");
        Commands.docker(Duration.ofSeconds(90), "build", "--force-rm", "-q", "-t", reference, context.toString());
        createdImages.add(reference);
        return Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", reference);
    }

    HttpResponse<String> get(String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Accept",
                "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static Set<String> fieldNames(JsonNode object) {
        return new TreeSet<>(object.propertyNames());
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
