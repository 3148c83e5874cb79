package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How Berth's own requests to the token server end when it does not play along: bounded in time and size,
 * and every failure a {@link TokenServerException} whose message holds no credential and no part of the answer.
 */
@Timeout(60)
class TokenServerClientTest {

    static final List<String> SCOPES = List.of("registry:catalog:*");

    @Test
    void anUnreachableServerIsAFailureNamingIt() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        TokenServerClient client = client("http://127.0.0.1:" + port + "/token", Duration.ofSeconds(2));
        assertThatThrownBy(() -> client.password("alice", "secret-pw", SCOPES)).isInstanceOf(TokenServerException.class)
                .hasMessageContaining("cannot be reached").hasMessageNotContaining("secret-pw");
    }

    @Test
    void aServerThatDoesNotAnswerTimesOut() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        try (Server server = new Server(exchange -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        })) {
            TokenServerClient client = client(server.realm(), Duration.ofMillis(500));
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.refresh("rt-secret", SCOPES)).isInstanceOf(TokenServerException.class)
                    .hasMessageContaining("did not answer").hasMessageNotContaining("rt-secret");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            release.countDown();
        }
    }

    @Test
    void answersThatAreNotTokensAreFailuresThatDoNotQuoteThem() throws IOException {
        String leaked = "eyJ-a-token-in-a-broken-answer";
        for (String body : List.of("{\"token\":\"" + leaked + "\"", "{\"expires_in\":300}",
                "{\"token\":\"" + "x".repeat(TokenServerClient.MAX_ANSWER) + "\"}")) {
            try (Server server = new Server(exchange -> body)) {
                assertThatThrownBy(() -> client(server.realm(), Duration.ofSeconds(5)).password("alice", "pw", SCOPES))
                        .isInstanceOf(TokenServerException.class).hasMessageNotContaining(leaked)
                        .hasMessageNotContaining("xxxx");
            }
        }
    }

    @Test
    void refusalsAndMissingSupportAreToldApart() throws IOException {
        for (int status : new int[] {401, 403}) {
            try (Server server = new Server(exchange -> status)) {
                assertThat(client(server.realm(), Duration.ofSeconds(5)).password("alice", "pw", SCOPES))
                        .as("a wrong password: %d", status).isNull();
            }
        }
        try (Server server = new Server(exchange -> 400)) {
            assertThat(client(server.realm(), Duration.ofSeconds(5)).refresh("rt", SCOPES)).as("invalid_grant").isNull();
        }
        try (Server server = new Server(exchange -> 404)) {
            assertThatThrownBy(() -> client(server.realm(), Duration.ofSeconds(5)).refresh("rt", SCOPES))
                    .isInstanceOf(TokenServerException.class).hasMessageContaining("refresh grant");
        }
        try (Server server = new Server(exchange -> 502)) {
            assertThatThrownBy(() -> client(server.realm(), Duration.ofSeconds(5)).password("alice", "pw", SCOPES))
                    .isInstanceOf(TokenServerException.class).hasMessageContaining("502");
        }
    }

    @Test
    void scopesNameEachResourceOnceWithItsActions() {
        assertThat(TokenServerClient.scopes(List.of(Access.repository("b", "pull"), Access.repository("a", "pull"),
                Access.repository("b", "delete"), Access.catalog()))).containsExactly("registry:catalog:*",
                "repository:a:pull", "repository:b:delete,pull");
    }

    private static TokenServerClient client(String realm, Duration timeout) {
        return new TokenServerClient(new AuthProperties.Token(realm, "svc", "iss", List.of(), null,
                Duration.ofSeconds(30), "berth-ui", timeout));
    }

    /** A token server answering every request with what {@code answer} gives: a status, a 200 body, or nothing. */
    private static final class Server implements AutoCloseable {

        private final HttpServer http;

        Server(Function<Object, Object> answer) throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            http.setExecutor(Executors.newCachedThreadPool());
            http.createContext("/token", exchange -> {
                try (exchange) {
                    exchange.getRequestBody().readAllBytes();
                    Object result = answer.apply(exchange);
                    if (result instanceof Integer status) {
                        exchange.sendResponseHeaders(status, -1);
                    } else if (result instanceof String body) {
                        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                        exchange.sendResponseHeaders(200, bytes.length);
                        exchange.getResponseBody().write(bytes);
                    }
                } catch (IOException e) {
                    // the client went away (timed out): nothing to answer
                }
            });
            http.start();
        }

        String realm() {
            return "http://127.0.0.1:" + http.getAddress().getPort() + "/token";
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }
}
