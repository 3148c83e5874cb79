package dev.berth.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A receiver of notifications on loopback: collects every event POSTed to it in Distribution's envelope with the
 * request's headers, and every request as it came (a CloudEvent, say); answers 200, or the status it is told to,
 * and can be stopped and started again on the same port.
 */
public final class EventReceiver implements AutoCloseable {

    /** One event as it arrived: its JSON, the request's headers, and when it arrived. */
    public record Received(JsonNode event, Map<String, List<String>> headers, Instant at) {

        public String id() {
            return event.path("id").asString();
        }

        public String action() {
            return event.path("action").asString();
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    /** One request as it came, whatever it carried (an envelope, a CloudEvent), and the status it was answered. */
    public record Post(JsonNode body, Map<String, List<String>> headers, int answered) {

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    private final JsonMapper json = JsonMapper.builder().build();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Post> posts = new CopyOnWriteArrayList<>();
    private int port;
    private volatile int status = 200;
    private volatile int attempts;
    private HttpServer server;

    private EventReceiver(int port) {
        this.port = port;
    }

    /** Starts on a free loopback port. */
    public static EventReceiver start() {
        EventReceiver receiver = new EventReceiver(0);
        receiver.listen(0);
        return receiver;
    }

    private synchronized void listen(int onPort) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = server.getAddress().getPort();
        server.createContext("/events", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            attempts++;
            int answer = status;
            JsonNode content = json.readTree(new String(body, StandardCharsets.UTF_8));
            Map<String, List<String>> headers = Map.copyOf(exchange.getRequestHeaders());
            posts.add(new Post(content, headers, answer));
            if (answer / 100 == 2) {
                for (JsonNode event : content.path("events")) { // Distribution's envelope
                    received.add(new Received(event, headers, Instant.now()));
                }
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/events");
    }

    /** Answers {@code code} from now on (events answered other than 2xx are not kept). */
    public void answer(int code) {
        status = code;
    }

    /** Requests that reached it, whatever it answered. */
    public int attempts() {
        return attempts;
    }

    /** Stops listening: connections are refused until {@link #restart()}. */
    public synchronized void stop() {
        server.stop(0);
    }

    /** Listens again on the port it had. */
    public synchronized void restart() {
        listen(port);
    }

    public List<Received> received() {
        return new ArrayList<>(received);
    }

    /** Every request that reached it with a body, in the order they came, whatever it answered. */
    public List<Post> posts() {
        return new ArrayList<>(posts);
    }

    /** The distinct ids of the events received. */
    public Set<String> ids() {
        Set<String> ids = new LinkedHashSet<>();
        received.forEach(event -> ids.add(event.id()));
        return ids;
    }

    /** Waits until the events received satisfy {@code condition}; fails with what arrived otherwise. */
    public List<Received> await(Duration timeout, Predicate<List<Received>> condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<Received> now = received();
            if (condition.test(now)) {
                return now;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("after " + timeout + " the receiver has " + now.size() + " events: "
                        + now.stream().map(r -> r.action() + " " + r.event().path("target")).toList());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public synchronized void close() {
        server.stop(0);
    }
}
