package dev.berth.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Requests the way a registry client sends them, for tests that talk to Berth over HTTP: HTTP/1.1 (what
 * docker and containerd speak to a plain-HTTP registry), redirects returned rather than followed (the tests
 * check them). A request that gets no answer at all (refused, reset, timed out) throws
 * {@link UncheckedIOException}, so tests of dying replicas can tell it from any status. For requests no
 * client would write, use {@link RawHttp}.
 */
public final class Http {

    /** How long a test waits for one answer; generous, as a slow machine must not fail a test. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private Http() {
    }

    /** The client itself, for requests that need more than these helpers (asynchronous, streamed bodies). */
    public static HttpClient client() {
        return CLIENT;
    }

    /**
     * {@code method uri} with {@code body} (null: none) and {@code name, value} header pairs, ready to send
     * or to add to.
     */
    public static HttpRequest.Builder request(String method, URI uri, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return request;
    }

    /** Sends the request; the body as bytes (blobs). */
    public static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        return send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Sends the request; the body as UTF-8 text (JSON, errors). */
    public static HttpResponse<String> sendText(HttpRequest.Builder request) {
        return send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** Sends {@code method uri} with {@code body} (null: none) and header pairs; the body as bytes. */
    public static HttpResponse<byte[]> send(String method, URI uri, byte[] body, String... headers) {
        return send(request(method, uri, body, headers));
    }

    /** Sends {@code method uri} with {@code body} (null: none) and header pairs; the body as text. */
    public static HttpResponse<String> sendText(String method, URI uri, byte[] body, String... headers) {
        return sendText(request(method, uri, body, headers));
    }

    /** {@code GET uri}, the body as text. */
    public static HttpResponse<String> getText(URI uri) {
        return sendText("GET", uri, null);
    }

    public static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return CLIENT.send(request, body);
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " got no answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
