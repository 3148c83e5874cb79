package dev.berth.registry.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client of one upstream registry: {@code GET} and {@code HEAD} of manifests and blobs, signing in as the
 * registry asks ({@code WWW-Authenticate}: a Bearer token from its realm, anonymous or with the configured
 * credentials, kept until it expires; or Basic), and following redirects to blob storage without sending the
 * credentials to another host. Every answer it reads itself is bounded; bodies it hands out are the caller's
 * to read and close.
 */
public final class UpstreamRegistry {

    /** The manifest types asked for: whatever the upstream stores, Berth stores and serves as it is. */
    static final String MANIFEST_TYPES = String.join(", ", "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json");
    /** Of an error's body, at most this much is read (for the log). */
    static final int MAX_ERROR_BODY = 2048;
    /** A token answer larger than this is refused. */
    static final int MAX_TOKEN_BODY = 64 * 1024;
    private static final int MAX_REDIRECTS = 5;
    /** A token without {@code expires_in} lasts 60 s (the token specification's default). */
    private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
    /** Tokens are renewed this long before they expire, so none runs out on the way. */
    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(10);
    private static final int MAX_CACHED_TOKENS = 1000;

    private final ProxyProperties.Rule rule;
    private final String base;
    private final HttpClient http;
    private final JsonMapper json;
    private final ProxyEvents events;
    /** The Authorization header that last worked, by repository (its pull scope), until it expires. */
    private final Map<String, Credential> credentials = new ConcurrentHashMap<>();

    private record Credential(String header, Instant expiresAt) {
    }

    /** An answer of the upstream whose body is still to be read; closing it closes the connection's stream. */
    public record Answer(int status, HttpHeaders headers, InputStream body) implements AutoCloseable {

        /** The body's length, or -1 when the upstream did not say. */
        public long contentLength() {
            return headers.firstValueAsLong("Content-Length").orElse(-1);
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException e) {
                // The connection is dropped either way.
            }
        }
    }

    UpstreamRegistry(ProxyProperties.Rule rule, JsonMapper json, ProxyEvents events) {
        this.rule = rule;
        String url = rule.upstream().toString();
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.json = json;
        this.events = events;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(rule.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public String baseUrl() {
        return base;
    }

    public Duration tagTtl() {
        return rule.tagTtl();
    }

    /**
     * {@code GET} (or {@code HEAD}) of {@code /v2/<repository>/<kind>/<reference>}: the answer with its body
     * open, or empty when the upstream does not have it (404). Any other failure throws {@link UpstreamException}.
     */
    public Optional<Answer> fetch(String repository, String kind, String reference, boolean head) {
        URI uri = URI.create(base + "/v2/" + repository + "/" + kind + "/" + reference);
        String scope = "repository:" + repository + ":pull";
        Answer answer = send(head ? "HEAD" : "GET", uri, scope, cachedCredential(scope));
        if (answer.status() == 401) {
            String challenge = answer.header("WWW-Authenticate").orElse("");
            answer.close();
            answer = send(head ? "HEAD" : "GET", uri, scope, signIn(AuthChallenge.parse(challenge), scope));
        }
        if (answer.status() == 404) {
            answer.close();
            return Optional.empty();
        }
        if (answer.status() < 200 || answer.status() > 299) {
            throw failed(answer, uri);
        }
        return Optional.of(answer);
    }

    private String cachedCredential(String scope) {
        Credential credential = credentials.get(scope);
        if (credential == null || Instant.now().isAfter(credential.expiresAt())) {
            return null;
        }
        return credential.header();
    }

    /** Answers the upstream's challenge: the Authorization header to retry with. */
    private String signIn(AuthChallenge challenge, String scope) {
        String header;
        Duration lifetime;
        if (challenge.scheme().equals("basic")) {
            if (rule.username() == null) {
                events.upstreamError(401);
                throw new UpstreamException(401, "the upstream " + base + " asks for a password, and"
                        + " none is configured for it");
            }
            header = basic();
            lifetime = Duration.ofMinutes(5);
        } else if (challenge.scheme().equals("bearer") && challenge.parameter("realm") != null) {
            Token token = token(challenge, scope);
            header = "Bearer " + token.value();
            lifetime = token.lifetime();
        } else {
            events.upstreamError(401);
            throw new UpstreamException(401, "the upstream " + base + " refused access with a challenge Berth"
                    + " does not know: " + challenge.scheme());
        }
        if (credentials.size() >= MAX_CACHED_TOKENS) {
            credentials.clear();
        }
        credentials.put(scope, new Credential(header, Instant.now().plus(lifetime).minus(TOKEN_MARGIN)));
        return header;
    }

    private record Token(String value, Duration lifetime) {
    }

    /** A token from the challenge's realm for {@code scope}: anonymous, or with the configured credentials. */
    private Token token(AuthChallenge challenge, String scope) {
        StringBuilder query = new StringBuilder();
        if (challenge.parameter("service") != null) {
            query.append("service=").append(encode(challenge.parameter("service")));
        }
        String wanted = challenge.parameter("scope") != null ? challenge.parameter("scope") : scope;
        query.append(query.isEmpty() ? "" : "&").append("scope=").append(encode(wanted));
        String realm = challenge.parameter("realm");
        URI uri;
        try {
            uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(0, "the upstream " + base + " named a token realm that is no URL");
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new UpstreamException(0, "the upstream " + base + " named a token realm that is not http(s)");
        }
        try (Answer answer = send("GET", uri, null, rule.username() == null ? null : basic())) {
            if (answer.status() != 200) {
                throw failed(answer, uri);
            }
            byte[] body = answer.body().readNBytes(MAX_TOKEN_BODY + 1);
            if (body.length > MAX_TOKEN_BODY) {
                throw new UpstreamException(0, "the token answer of " + uri.getHost() + " is too large");
            }
            JsonNode tree = json.readTree(body);
            String value = tree.path("token").asString(null);
            if (value == null || value.isEmpty()) {
                value = tree.path("access_token").asString(null);
            }
            if (value == null || value.isEmpty()) {
                throw new UpstreamException(0, "the token answer of " + uri.getHost() + " holds no token");
            }
            long seconds = tree.path("expires_in").asLong(0);
            return new Token(value, seconds > 0 ? Duration.ofSeconds(seconds) : DEFAULT_TOKEN_LIFETIME);
        } catch (IOException | RuntimeException e) {
            if (e instanceof UpstreamException upstream) {
                throw upstream;
            }
            events.upstreamError(0);
            throw new UpstreamException(0, "no token from " + uri.getHost() + ": " + e.getMessage());
        }
    }

    /** Read per sign-in, so a rotated Secret is used without a restart. */
    private String basic() {
        String password;
        try {
            password = Files.readString(rule.passwordFile(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UpstreamException(0, "cannot read the upstream's password file " + rule.passwordFile());
        }
        return "Basic " + Base64.getEncoder().encodeToString((rule.username() + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One exchange, following redirects; {@code authorization} (null: none) goes only to the origin it was
     * meant for, never to the storage a blob is redirected to.
     */
    private Answer send(String method, URI uri, String scope, String authorization) {
        URI target = uri;
        String sentAuthorization = authorization;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(rule.readTimeout())
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("Accept", target.getPath().contains("/manifests/") ? MANIFEST_TYPES : "*/*")
                    .header("User-Agent", "berth-pull-through-cache");
            if (sentAuthorization != null) {
                request.header("Authorization", sentAuthorization);
            }
            long start = System.nanoTime();
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofPublisher());
            } catch (IOException e) {
                events.upstreamRequest(0, Duration.ofNanos(System.nanoTime() - start));
                events.upstreamError(0);
                throw new UpstreamException(0, "the upstream " + target.getHost() + " did not answer: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamException(0, "interrupted while waiting for " + target.getHost());
            }
            events.upstreamRequest(response.statusCode(), Duration.ofNanos(System.nanoTime() - start));
            TimedBody body = new TimedBody(rule.readTimeout());
            response.body().subscribe(body);
            Answer answer = new Answer(response.statusCode(), response.headers(), body);
            Optional<String> location = answer.header("Location");
            if (!isRedirect(answer.status()) || location.isEmpty()) {
                return answer;
            }
            answer.close();
            if (hop >= MAX_REDIRECTS) {
                events.upstreamError(answer.status());
                throw new UpstreamException(answer.status(), "the upstream redirected more than " + MAX_REDIRECTS
                        + " times");
            }
            URI next = target.resolve(location.get());
            if (!sameOrigin(next, uri)) {
                sentAuthorization = null;
            }
            target = next;
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    /** A failure for the answer's status, with the start of its body for the log. */
    private UpstreamException failed(Answer answer, URI uri) {
        String excerpt;
        try (answer) {
            excerpt = new String(answer.body().readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8)
                    .replaceAll("\\s+", " ");
        } catch (IOException e) {
            excerpt = "";
        }
        events.upstreamError(answer.status());
        Map<String, String> headers = answer.status() == 429 && answer.header("Retry-After").isPresent()
                ? Map.of("Retry-After", answer.header("Retry-After").get()) : Map.of();
        return new UpstreamException(answer.status(), "the upstream answered " + answer.status() + " to "
                + uri.getHost() + uri.getPath() + (excerpt.isEmpty() ? "" : ": " + excerpt), headers);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
