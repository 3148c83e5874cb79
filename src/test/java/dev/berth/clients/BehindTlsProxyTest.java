package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cluster.NginxProcess;
import dev.berth.support.BerthServer;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.tomcat.autoconfigure.TomcatServerProperties;

/**
 * Berth serving plain HTTP on loopback behind nginx, which terminates TLS for another host name and port
 * ({@value #HOST}, a throwaway CA's certificate), as an ingress does. Docker pushes and pulls through it
 * trusting that CA alone; Berth needs no knowledge of the public name (its {@code Location} headers are
 * relative); with {@code server.forward-headers-strategy=native} its access log names the client nginx
 * forwarded, without it nginx's own address.
 *
 * <p>The name resolves, through a line this class adds to {@code /etc/hosts}, to a private address of this
 * machine rather than loopback: the daemon counts {@code 127.0.0.0/8} as an insecure registry and would skip
 * certificate checks there. Everything outside the temp folder ({@code /etc/hosts}, {@code /etc/docker/certs.d},
 * the images) is removed afterwards, also when a test fails.
 */
@ExtendWith(OutputCaptureExtension.class)
class BehindTlsProxyTest {

    static final String HOST = "registry.berth.test";
    static final String CLIENT = "203.0.113.7";
    static final Duration LOCAL = Duration.ofSeconds(30);
    static final Duration TRANSFER = Duration.ofSeconds(60);

    @TempDir
    static Path work;

    static HostsFileEntry hostsEntry;
    static ThrowawayCa ca;
    static BerthServer trustingProxies;
    static BerthServer notTrustingProxies;
    static NginxProcess toTrusting;
    static NginxProcess toNotTrusting;
    static DockerTrustedCa dockerTrust;
    static final List<String> createdImages = new ArrayList<>();

    @BeforeAll
    static void start() {
        Commands.requireDockerDaemon();
        String address = privateAddress().getHostAddress();
        hostsEntry = HostsFileEntry.add(address, HOST);
        ca = ThrowawayCa.forHost(work.resolve("tls"), HOST);
        trustingProxies = BerthServer.startOnFilesystem(work.resolve("store-native"),
                "--server.forward-headers-strategy=native");
        notTrustingProxies = BerthServer.startOnFilesystem(work.resolve("store-none"),
                "--server.forward-headers-strategy=none");
        toTrusting = NginxProcess.terminatingTls(work.resolve("nginx-native"), address, HOST, ca.serverCertificate(),
                ca.serverKey(), trustingProxies.hostAndPort());
        toNotTrusting = NginxProcess.terminatingTls(work.resolve("nginx-none"), address, HOST, ca.serverCertificate(),
                ca.serverKey(), notTrustingProxies.hostAndPort());
    }

    @AfterAll
    static void cleanUp() throws Exception {
        List<AutoCloseable> resources = new ArrayList<>();
        for (String image : createdImages) {
            resources.add(() -> Commands.exec(LOCAL, Commands.dockerEnv(), Commands.docker(), "rmi", "-f", image));
        }
        Stream.of(dockerTrust, toTrusting, toNotTrusting, trustingProxies, notTrustingProxies, hostsEntry)
                .filter(resource -> resource != null).forEach(resources::add);
        Exception first = null;
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Test
    @Timeout(100)
    void dockerPushesAndPullsThroughTheProxyTrustingItsCa() throws IOException {
        String repository = "proxy/app-" + Commands.randomSuffix();
        String reference = HOST + ":" + toTrusting.port() + "/" + repository + ":v1";
        createdImages.add(reference);
        String imageId = buildImage(work.resolve("context"), reference);
        createdImages.add(imageId);

        Commands.Result untrusted = pushBeforeTheNameResolves(reference);
        assertThat(untrusted.exitCode()).as("push before docker trusts the CA\n%s", untrusted.describe()).isNotZero();
        assertThat(untrusted.stderr()).as("why docker refused").contains("x509");

        dockerTrust = DockerTrustedCa.install(HOST, toTrusting.port(), ca.certificate());
        Commands.docker(TRANSFER, "push", reference);
        Commands.docker(LOCAL, "rmi", reference);
        Commands.Result gone = Commands.exec(LOCAL, Commands.dockerEnv(), Commands.docker(), "image", "inspect", imageId);
        assertThat(gone.exitCode()).as("image %s removed locally\n%s", imageId, gone.describe()).isNotZero();
        Commands.docker(TRANSFER, "pull", reference);
        assertThat(Commands.docker(LOCAL, "image", "inspect", "--format", "{{.Id}}", reference))
                .as("image ID pulled back through the proxy").isEqualTo(imageId);

        List<NginxProcess.Access> uploads = toTrusting.accessLog().stream()
                .filter(entry -> entry.uri().startsWith("/v2/" + repository + "/blobs/uploads/")).toList();
        assertThat(uploads).as("docker's upload requests through nginx").isNotEmpty();
        assertThat(uploads).as("answers that carry a Location").allMatch(entry -> entry.status() == 201
                || entry.status() == 202);
        assertThat(uploads).extracting(NginxProcess.Access::location)
                .as("the Location headers Berth returned: relative, naming no host")
                .allMatch(location -> location.startsWith("/v2/" + repository + "/blobs/"));
    }

    @Test
    @Timeout(30)
    void withForwardHeadersTrustedTheAccessLogNamesTheClientNginxForwarded(CapturedOutput output) throws Exception {
        String repository = "proxy/forwarded-" + Commands.randomSuffix();
        String logged = accessLogClientOfUploadThrough(toTrusting, repository, output);

        String forwardedFor = nginxAccess(toTrusting, repository).forwardedFor();
        assertThat(forwardedFor).as("X-Forwarded-For nginx sent to Berth").startsWith(CLIENT + ", ");
        Pattern internalProxies = Pattern.compile(trustingProxies.context().getBean(TomcatServerProperties.class)
                .getRemoteip().getInternalProxies());
        String client = clientRemoteIpValveFinds(forwardedFor, internalProxies);
        System.out.println("X-Forwarded-For: " + forwardedFor + " -> client " + client);
        assertThat(logged).as("client in Berth's access log, for X-Forwarded-For: %s", forwardedFor)
                .isEqualTo(client)
                .isNotEqualTo("127.0.0.1");
    }

    @Test
    @Timeout(30)
    void withoutForwardHeadersTrustedTheAccessLogNamesNginx(CapturedOutput output) throws Exception {
        String repository = "proxy/not-forwarded-" + Commands.randomSuffix();
        assertThat(accessLogClientOfUploadThrough(toNotTrusting, repository, output))
                .as("client in Berth's access log: nginx's connection").isEqualTo("127.0.0.1");
        assertThat(nginxAccess(toNotTrusting, repository).forwardedFor()).as("X-Forwarded-For nginx sent to Berth")
                .startsWith(CLIENT + ", ");
    }

    /**
     * The client address Tomcat's RemoteIpValve takes from {@code X-Forwarded-For} (nginx's connection being a
     * trusted one): reading the list from the right, the first address {@code internalProxies} does not match,
     * or the leftmost when it matches them all. So {@value #CLIENT} only when the address nginx saw this test
     * connect from is a private one; otherwise that address, and what the test claimed is ignored, as a
     * client's forged header should be.
     */
    private static String clientRemoteIpValveFinds(String forwardedFor, Pattern internalProxies) {
        String[] hops = forwardedFor.split("\\s*,\\s*");
        for (int i = hops.length - 1; i > 0; i--) {
            if (!internalProxies.matcher(hops[i]).matches()) {
                return hops[i];
            }
        }
        return hops[0];
    }

    /** nginx's access-log entry of the one upload POST to {@code repository}, written once the answer is out. */
    private static NginxProcess.Access nginxAccess(NginxProcess nginx, String repository) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<NginxProcess.Access> posts = nginx.accessLog().stream()
                    .filter(entry -> entry.method().equals("POST") && entry.uri().startsWith("/v2/" + repository + "/"))
                    .toList();
            if (!posts.isEmpty() || System.nanoTime() > deadline) {
                assertThat(posts).as("nginx's log of the upload POST to %s", repository).hasSize(1);
                return posts.get(0);
            }
            Thread.sleep(50);
        }
    }

    /**
     * Opens an upload through {@code nginx} as a client that already carries {@code X-Forwarded-For: }{@value #CLIENT}
     * (nginx appends the address it sees); returns the client address of the upload's line in Berth's access log.
     */
    private static String accessLogClientOfUploadThrough(NginxProcess nginx, String repository, CapturedOutput output)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(ca.sslContext()).version(HttpClient.Version.HTTP_1_1)
                .build();
        URI uploads = URI.create("https://" + HOST + ":" + nginx.port() + "/v2/" + repository + "/blobs/uploads/");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uploads)
                        .header("X-Forwarded-For", CLIENT)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("upload POST through nginx: %s", response.body()).isEqualTo(202);
        assertThat(response.headers().firstValue("Location")).as("Location of the upload")
                .hasValueSatisfying(location -> assertThat(location).startsWith("/v2/" + repository + "/blobs/uploads/"));

        String line = awaitAccessLine(output, "POST /v2/{name}/blobs/uploads/ repository=" + repository + " ");
        assertThat(line).contains(" status=202 ");
        return line.replaceFirst(".* client=(\\S+).*", "$1");
    }

    /** The access-log line is written once the answer is out, possibly just after the client has it. */
    private static String awaitAccessLine(CapturedOutput output, String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            Optional<String> line = output.getOut().lines()
                    .filter(l -> l.contains("dev.berth.access") && l.contains(fragment)).findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            assertThat(System.nanoTime()).as("an access-log line containing \"%s\" within 5 s", fragment)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /**
     * Pushes {@code reference} before docker trusts the CA. The daemon (Go) rereads {@code /etc/hosts} only
     * every few seconds, so a push that fails on the name itself is retried for a while.
     */
    private static Commands.Result pushBeforeTheNameResolves(String reference) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            Commands.Result result = Commands.exec(TRANSFER, Commands.dockerEnv(), Commands.docker(), "push", reference);
            if (!result.stderr().contains("no such host") || System.nanoTime() > deadline) {
                return result;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** A FROM-scratch image of a few MiB of random bytes and a small file, two layers; returns its ID. */
    private static String buildImage(Path context, String tag) throws IOException {
        Files.createDirectories(context);
        Random random = new Random();
        byte[] layer = new byte[4 * 1024 * 1024 + random.nextInt(1024 * 1024)];
        random.nextBytes(layer);
        Files.write(context.resolve("layer.bin"), layer);
        Files.writeString(context.resolve("name.txt"), tag + "\n", StandardCharsets.UTF_8);
        Files.writeString(context.resolve("Dockerfile"), String.join("\n",
                "FROM scratch",
                "COPY layer.bin /layer.bin",
                "COPY name.txt /name.txt",
                "CMD [\"/name.txt\"]",
                ""), StandardCharsets.UTF_8);
        String output = Commands.docker(TRANSFER, "build", "--force-rm", "-q", "-t", tag, context.toString());
        return output.lines().reduce((first, second) -> second).orElseThrow().trim();
    }

    /**
     * A private IPv4 address of this machine for nginx to listen on, the Docker bridge's if there is one: not
     * loopback (see the class comment).
     */
    private static InetAddress privateAddress() {
        try {
            NetworkInterface bridge = NetworkInterface.getByName("docker0");
            Stream<NetworkInterface> interfaces = Stream.concat(Stream.ofNullable(bridge),
                    NetworkInterface.networkInterfaces().filter(nic -> !nic.getName().equals("docker0")));
            return interfaces.flatMap(NetworkInterface::inetAddresses)
                    .filter(address -> address instanceof Inet4Address && address.isSiteLocalAddress())
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("this machine has no private IPv4 address for "
                            + HOST + " (docker0 or another interface)"));
        } catch (SocketException e) {
            throw new AssertionError("cannot list network interfaces", e);
        }
    }
}
