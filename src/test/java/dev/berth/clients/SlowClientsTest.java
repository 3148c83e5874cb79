package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hundreds of connections from one client address, each trickling a request body a byte a second to hold
 * a worker thread, while docker pushes from another address: the push succeeds, {@code /v2/} keeps
 * answering while the trickling connections still hold their threads, and Berth closes every trickling
 * connection itself (429 beyond the client's request limit at once, 408 for the others once their body
 * proves too slow).
 */
@Timeout(300)
class SlowClientsTest {

    static final int TRICKLERS = 300;
    /** Another loopback address than docker's 127.0.0.1, so the tricklers are another client. */
    static final String TRICKLER_ADDRESS = "127.0.0.2";

    @TempDir
    static Path work;

    static BerthServer berth;

    @BeforeAll
    static void start() {
        Commands.requireDockerDaemon();
        berth = BerthServer.start("--berth.storage.backend=filesystem",
                "--berth.storage.filesystem.root=" + work.resolve("store"),
                "--berth.limits.slow-body.window=4s", "--berth.limits.requests-per-client=64");
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    /** When the first trickling connection was cut off as too slow (408): until then they all held on. */
    static final AtomicLong firstCutOff = new AtomicLong(Long.MAX_VALUE);

    /** One {@code GET /v2/}: when it was sent and answered, and whether the answer was 200. */
    record Probe(long sentAt, long answeredAt, boolean ok) {
    }

    @Test
    void tricklingConnectionsNeitherStopOthersNorStayOpen() throws Exception {
        AtomicBoolean probing = new AtomicBoolean(true);
        CompletableFuture<List<Probe>> probes = CompletableFuture.supplyAsync(() -> probeBaseRoute(probing));
        Map<SocketChannel, String> answers;
        long pushMillis;
        long start = System.nanoTime();
        long held;
        try (Selector selector = Selector.open()) {
            List<SocketChannel> tricklers = openTricklers(selector);
            held = System.nanoTime();
            CompletableFuture<Map<SocketChannel, String>> trickled =
                    CompletableFuture.supplyAsync(() -> trickleUntilClosed(selector, tricklers, Duration.ofSeconds(120)));

            long pushStart = System.nanoTime();
            push();
            pushMillis = (System.nanoTime() - pushStart) / 1_000_000;
            answers = trickled.get();
        } finally {
            probing.set(false);
        }
        List<Probe> sent = probes.get();
        long closedAfter = (System.nanoTime() - start) / 1_000_000;

        Map<String, Integer> byStatus = new HashMap<>();
        answers.values().forEach(status -> byStatus.merge(status, 1, Integer::sum));
        long slowest = sent.stream().mapToLong(probe -> probe.answeredAt() - probe.sentAt()).max().orElse(0) / 1_000_000;
        // Sent after the tricklers took their threads and answered before any of them was let go.
        long whileHeld = sent.stream().filter(probe -> probe.ok() && probe.sentAt() >= held
                && probe.answeredAt() < firstCutOff.get()).count();
        System.out.printf("slow clients: %d trickling connections from %s; answers by status %s; all closed by Berth"
                        + " after %d ms; docker push from 127.0.0.1 took %d ms; %d GET /v2/, %d of them while the"
                        + " tricklers held on, the slowest %d ms%n",
                TRICKLERS, TRICKLER_ADDRESS, byStatus, closedAfter, pushMillis, sent.size(), whileHeld, slowest);

        assertThat(answers).as("trickling connections closed by Berth").hasSize(TRICKLERS);
        assertThat(byStatus.keySet()).as("answers to trickling connections").isSubsetOf("429", "408");
        assertThat(byStatus.getOrDefault("429", 0)).as("refused at once for the client's limit").isPositive();
        assertThat(sent).as("every GET /v2/ meanwhile answered 200").allMatch(Probe::ok);
        assertThat(whileHeld).as("GET /v2/ answered while the trickling connections held their threads")
                .isPositive();
    }

    /** Connects the trickling clients and sends each a request head announcing a 100 kB body. */
    private static List<SocketChannel> openTricklers(Selector selector) throws IOException {
        List<SocketChannel> channels = new ArrayList<>();
        byte[] head = ("PUT /v2/trickle/app/manifests/t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                + "application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 100000\r\n\r\n{")
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < TRICKLERS; i++) {
            SocketChannel channel = SocketChannel.open();
            channel.bind(new InetSocketAddress(TRICKLER_ADDRESS, 0));
            channel.connect(new InetSocketAddress("127.0.0.1", berth.port()));
            channel.write(ByteBuffer.wrap(head));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ, new StringBuilder());
            channels.add(channel);
        }
        return channels;
    }

    /**
     * Sends every open connection one more byte a second until Berth has closed them all; returns the
     * status each was answered with before it was closed.
     */
    private static Map<SocketChannel, String> trickleUntilClosed(Selector selector, List<SocketChannel> channels,
            Duration limit) {
        Map<SocketChannel, String> closed = new HashMap<>();
        long deadline = System.nanoTime() + limit.toNanos();
        long nextByte = System.nanoTime();
        ByteBuffer read = ByteBuffer.allocate(4096);
        try {
            while (closed.size() < channels.size() && System.nanoTime() < deadline) {
                if (System.nanoTime() >= nextByte) {
                    for (SocketChannel channel : channels) {
                        if (!closed.containsKey(channel)) {
                            try {
                                channel.write(ByteBuffer.wrap(new byte[] {' '}));
                            } catch (IOException reset) {
                                closed(closed, channel, status(channel, selector));
                            }
                        }
                    }
                    nextByte = System.nanoTime() + 1_000_000_000L;
                }
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel channel = (SocketChannel) key.channel();
                    StringBuilder answer = (StringBuilder) key.attachment();
                    read.clear();
                    int n;
                    try {
                        n = channel.read(read);
                    } catch (IOException reset) {
                        n = -1;
                    }
                    if (n > 0) {
                        answer.append(new String(read.array(), 0, n, StandardCharsets.ISO_8859_1));
                    } else if (n < 0) {
                        key.cancel();
                        closed(closed, channel, status(channel, selector));
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (SocketChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already closed by the server
            }
        }
        return closed;
    }

    private static void closed(Map<SocketChannel, String> closed, SocketChannel channel, String status) {
        closed.put(channel, status);
        if (!status.equals("429")) {
            firstCutOff.compareAndSet(Long.MAX_VALUE, System.nanoTime());
        }
    }

    private static String status(SocketChannel channel, Selector selector) {
        SelectionKey key = channel.keyFor(selector);
        String answer = key == null ? "" : key.attachment().toString();
        return answer.startsWith("HTTP/1.1 ") && answer.length() >= 12 ? answer.substring(9, 12) : "closed";
    }

    /** GET /v2/ from 127.0.0.1 every 100 ms while {@code probing}; returns each. */
    private static List<Probe> probeBaseRoute(AtomicBoolean probing) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI base = URI.create("http://127.0.0.1:" + berth.port() + "/v2/");
        List<Probe> sent = new ArrayList<>();
        while (probing.get()) {
            long start = System.nanoTime();
            boolean ok;
            try {
                ok = client.send(HttpRequest.newBuilder(base).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException | InterruptedException e) {
                ok = false;
            }
            sent.add(new Probe(start, System.nanoTime(), ok));
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return sent;
            }
        }
        return sent;
    }

    private static void push() throws IOException {
        Path context = Files.createDirectories(work.resolve("context"));
        Files.writeString(context.resolve("hello.txt"), "hello " + Commands.randomSuffix() + "\n");
        Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n");
        String image = "127.0.0.1:" + berth.port() + "/slow/others-" + Commands.randomSuffix() + ":v1";
        try {
            Commands.docker(Duration.ofSeconds(90), "build", "--force-rm", "-q", "-t", image, context.toString());
            Commands.docker(Duration.ofSeconds(90), "push", image);
        } finally {
            Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", image);
        }
    }
}
