package dev.berth.registry.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry that misbehaves on purpose, a real HTTP server on loopback: it demands a Bearer token from its
 * own realm, and answers each path with what the test put there, wrong bytes included. Blobs may be sent
 * from a second server (another origin) through a redirect, which records the headers it was sent.
 */
final class FakeUpstream implements AutoCloseable {

    /** What one path answers: a status, headers, and the bytes to send of a body of {@code length}. */
    record Answer(int status, Map<String, String> headers, byte[] body, long length, long pauseMillis, int gateAt) {
        static Answer of(byte[] body, String... headers) {
            return new Answer(200, pairs(headers), body, body.length, 0, -1);
        }

        /** Announces {@code length} bytes, sends {@code body} and hangs up. */
        static Answer cutOff(byte[] body, long length) {
            return new Answer(200, Map.of(), body, length, 0, -1);
        }

        /** Announces {@code length} bytes, sends {@code body}, then goes silent for 20 s before hanging up. */
        static Answer stalled(byte[] body, long length) {
            return new Answer(200, Map.of(), body, length, 20_000, -1);
        }

        /**
         * Sends the first {@code at} bytes of {@code body}, then, while {@link #gate} is closed, waits for it
         * to open before sending the rest; once it is open, the whole body at once.
         */
        static Answer gated(byte[] body, int at) {
            return new Answer(200, Map.of(), body, body.length, 0, at);
        }

        /** Sends the first half of {@code body}, pauses {@code millis}, then sends the rest. */
        static Answer slow(byte[] body, long millis) {
            return new Answer(200, Map.of(), body, body.length, millis, -1);
        }
    }

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final HttpServer registry;
    private final HttpServer storage;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    final List<String> storageAuthorizations = new CopyOnWriteArrayList<>();
    final List<String> tokenRequests = new CopyOnWriteArrayList<>();
    /** Holds {@link Answer#gated} answers mid-body until the test opens it. */
    final CountDownLatch gate = new CountDownLatch(1);
    /** Opens when a gated answer has sent its first part and waits at the gate. */
    final CountDownLatch atGate = new CountDownLatch(1);
    /** The GET requests each path received (registry and storage alike). */
    final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();

    FakeUpstream() {
        try {
            registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        registry.createContext("/token", exchange -> {
            try (exchange) {
                tokenRequests.add(exchange.getRequestURI().getRawQuery());
                send(exchange, Answer.of("{\"token\":\"fake-token\",\"expires_in\":300}".getBytes(StandardCharsets.UTF_8),
                        "Content-Type", "application/json"));
            }
        });
        registry.createContext("/v2/", exchange -> {
            try (exchange) {
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                if (!"Bearer fake-token".equals(auth)) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:"
                            + registry.getAddress().getPort() + "/token\",service=\"fake\",scope=\"repository:"
                            + "x:pull\"");
                    exchange.sendResponseHeaders(401, -1);
                    return;
                }
                String path = exchange.getRequestURI().getRawPath();
                if (exchange.getRequestMethod().equals("GET")) {
                    gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                }
                if (answers.containsKey("redirect:" + path)) {
                    exchange.getResponseHeaders().set("Location", "http://127.0.0.1:" + storage.getAddress().getPort()
                            + path);
                    exchange.sendResponseHeaders(307, -1);
                    return;
                }
                Answer answer = answers.get(path);
                if (answer == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                send(exchange, answer);
            }
        });
        storage.createContext("/", exchange -> {
            try (exchange) {
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                storageAuthorizations.add(auth == null ? "none" : auth);
                Answer answer = answers.get("redirect:" + exchange.getRequestURI().getRawPath());
                send(exchange, answer);
            }
        });
        // A thread per exchange: an answer held at the gate must not hold up the others.
        registry.setExecutor(threads);
        storage.setExecutor(threads);
        registry.start();
        storage.start();
    }

    String url() {
        return "http://127.0.0.1:" + registry.getAddress().getPort();
    }

    void answer(String path, Answer answer) {
        answers.put(path, answer);
    }

    /** {@code path} redirects to the storage server, which answers {@code answer}. */
    void redirect(String path, Answer answer) {
        answers.put("redirect:" + path, answer);
    }

    private void send(HttpExchange exchange, Answer answer) throws IOException {
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.getResponseHeaders().set("Content-Length", Long.toString(answer.length()));
        exchange.sendResponseHeaders(answer.status(), head ? -1 : answer.length());
        if (!head && answer.gateAt() >= 0 && gate.getCount() > 0) {
            exchange.getResponseBody().write(answer.body(), 0, answer.gateAt());
            exchange.getResponseBody().flush();
            atGate.countDown();
            try {
                gate.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getResponseBody().write(answer.body(), answer.gateAt(), answer.body().length - answer.gateAt());
        } else if (!head) {
            boolean slow = answer.pauseMillis() > 0 && answer.body().length == answer.length();
            int first = slow ? answer.body().length / 2 : answer.body().length;
            exchange.getResponseBody().write(answer.body(), 0, first);
            exchange.getResponseBody().flush();
            if (answer.pauseMillis() > 0) {
                try {
                    Thread.sleep(answer.pauseMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.getResponseBody().write(answer.body(), first, answer.body().length - first);
            if (answer.body().length < answer.length()) {
                // Hang up mid-body: the connection dies with the length unmet.
                throw new IOException("cut off on purpose");
            }
        }
    }

    private static Map<String, String> pairs(String... headers) {
        Map<String, String> map = new ConcurrentHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i], headers[i + 1]);
        }
        return map;
    }

    @Override
    public void close() {
        gate.countDown();
        registry.stop(0);
        storage.stop(0);
        threads.shutdownNow();
    }
}
