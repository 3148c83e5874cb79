package dev.berth.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;

/**
 * A Docker token server for the tests: {@code GET /token?service=S&scope=repository:NAME:ACTIONS...} with
 * Basic credentials answers {@code {"token": JWT, ...}} granting the requested actions the user's policy
 * allows (none for anonymous requests), like Distribution's reference token servers. With
 * {@code offline_token=true} it adds a {@code refresh_token} (unless {@link #offlineTokens} is off), which
 * {@code POST /token} with {@code grant_type=refresh_token} trades for new access tokens, as the OAuth2
 * variant of the spec says; a revoked or unknown refresh token gets {@code 400 invalid_grant}. Keys are
 * generated at start: an RSA key published as a JWKS file, an EC key as a PEM public key file.
 */
public final class TestTokenIssuer implements AutoCloseable {

    public static final String ISSUER = "berth-test-issuer";

    public final RSAKey rsa;
    final ECKey ec;
    public final Path jwksFile;
    public final Path pemFile;
    private final HttpServer server;
    private final Map<String, String> passwords;
    /** (user, "type:name:action") -> allowed. */
    private final BiPredicate<String, String> policy;
    public final List<String> requestedScopes = new ArrayList<>();
    /** Refresh token -> its user, while it is not revoked. */
    private final Map<String, String> refreshTokens = new ConcurrentHashMap<>();
    /** Every refresh token handed out, revoked or not, for tests that look for them where they must not be. */
    public final List<String> issuedRefreshTokens = new CopyOnWriteArrayList<>();
    /** Token requests answered (or refused), GET and POST alike. */
    public final AtomicInteger requests = new AtomicInteger();
    /** Whether {@code offline_token=true} gets a refresh token. */
    public volatile boolean offlineTokens = true;
    /** Non-zero: every request is answered with this status and no body (a failing token server). */
    public volatile int failWith;
    /** Non-null: the audience of every token issued, whatever service was asked for (a misconfigured server). */
    public volatile String audience;
    /** The lifetime of the access tokens issued. */
    public volatile Duration lifetime = Duration.ofMinutes(5);

    public TestTokenIssuer(Path folder, Map<String, String> passwords, BiPredicate<String, String> policy) {
        this.passwords = passwords;
        this.policy = policy;
        try {
            rsa = new RSAKeyGenerator(2048).keyID("rsa-" + UUID.randomUUID()).generate();
            ec = new ECKeyGenerator(Curve.P_256).keyID("ec-" + UUID.randomUUID()).generate();
            jwksFile = folder.resolve("jwks.json");
            Files.writeString(jwksFile, new JWKSet(rsa.toPublicJWK()).toString());
            pemFile = folder.resolve("token-signer.pem");
            Files.writeString(pemFile, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                    .encodeToString(ec.toPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/token", this::issue);
        server.start();
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** Refuses every refresh token {@code user} holds, as a token server does when access is revoked. */
    public void revoke(String user) {
        refreshTokens.values().removeIf(user::equals);
    }

    private void issue(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            if (failWith != 0) {
                exchange.sendResponseHeaders(failWith, -1);
                return;
            }
            boolean post = exchange.getRequestMethod().equals("POST");
            Map<String, List<String>> params = form(post
                    ? new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)
                    : exchange.getRequestURI().getRawQuery());
            String user = null;
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (post) {
                String grant = first(params, "grant_type");
                if ("refresh_token".equals(grant)) {
                    user = refreshTokens.get(String.valueOf(first(params, "refresh_token")));
                } else if ("password".equals(grant)) {
                    String candidate = String.valueOf(first(params, "username"));
                    user = String.valueOf(first(params, "password")).equals(passwords.get(candidate)) ? candidate : null;
                }
                if (user == null) {
                    send(exchange, 400, "{\"error\":\"invalid_grant\"}");
                    return;
                }
            } else if (authorization != null && authorization.startsWith("Basic ")) {
                String decoded = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                String candidate = decoded.substring(0, colon);
                if (!decoded.substring(colon + 1).equals(passwords.get(candidate))) {
                    exchange.sendResponseHeaders(401, -1);
                    return;
                }
                user = candidate;
            }
            String service = first(params, "service");
            List<String> scopes = new ArrayList<>();
            for (String value : params.getOrDefault("scope", List.of())) {
                for (String scope : value.split(" ")) {
                    if (!scope.isEmpty()) {
                        scopes.add(scope);
                    }
                }
            }
            synchronized (requestedScopes) {
                requestedScopes.addAll(scopes);
            }
            List<Map<String, Object>> access = new ArrayList<>();
            for (String scope : scopes) {
                int last = scope.lastIndexOf(':');
                int first = scope.indexOf(':');
                String type = scope.substring(0, first);
                String name = scope.substring(first + 1, last);
                List<String> granted = new ArrayList<>();
                for (String action : scope.substring(last + 1).split(",")) {
                    if (user != null && policy.test(user, type + ":" + name + ":" + action)) {
                        granted.add(action);
                    }
                }
                if (!granted.isEmpty()) {
                    access.add(entry(type, name, granted.toArray(String[]::new)));
                }
            }
            String token = sign(rsa, user == null ? "" : user, audience == null ? service : audience, access, lifetime);
            String refresh = "";
            if (!post && user != null && offlineTokens && "true".equals(first(params, "offline_token"))) {
                String issued = "rt-" + UUID.randomUUID();
                refreshTokens.put(issued, user);
                issuedRefreshTokens.add(issued);
                refresh = ",\"refresh_token\":\"" + issued + "\"";
            }
            send(exchange, 200, "{\"token\":\"" + token + "\",\"access_token\":\"" + token + "\",\"expires_in\":"
                    + lifetime.toSeconds() + ",\"issued_at\":\"" + Instant.now() + "\"" + refresh + "}");
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private static Map<String, List<String>> form(String encoded) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String pair : encoded == null || encoded.isEmpty() ? new String[0] : encoded.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return params;
    }

    private static String first(Map<String, List<String>> params, String key) {
        List<String> values = params.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public static Map<String, Object> entry(String type, String name, String... actions) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", type);
        entry.put("name", name);
        entry.put("actions", List.of(actions));
        return entry;
    }

    /** A token as the server issues it, signed by {@code key}, for {@code audience}, valid for {@code lifetime}
     * (negative: expired that long ago). */
    public static String sign(JWK key, String subject, String audience, List<Map<String, Object>> access,
            Duration lifetime) {
        return sign(key, ISSUER, subject, audience, access, lifetime);
    }

    static String sign(JWK key, String issuer, String subject, String audience, List<Map<String, Object>> access,
            Duration lifetime) {
        Instant now = Instant.now();
        return sign(key, issuer, subject, audience, access, now.minusSeconds(lifetime.isNegative() ? 3600 : 5),
                now.plus(lifetime));
    }

    /** A token valid from {@code notBefore} (its issue time too) until {@code expiry}. */
    static String sign(JWK key, String issuer, String subject, String audience, List<Map<String, Object>> access,
            Instant notBefore, Instant expiry) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(audience)
                .issueTime(Date.from(notBefore)).notBeforeTime(Date.from(notBefore))
                .expirationTime(Date.from(expiry)).jwtID(UUID.randomUUID().toString())
                .claim("access", access).build();
        try {
            SignedJWT jwt;
            if (key instanceof RSAKey r) {
                jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                        .keyID(r.getKeyID()).build(), claims);
                jwt.sign(new RSASSASigner(r));
            } else {
                ECKey e = (ECKey) key;
                jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT)
                        .keyID(e.getKeyID()).build(), claims);
                jwt.sign(new ECDSASigner(e));
            }
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
