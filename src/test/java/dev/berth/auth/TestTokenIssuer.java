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
import java.util.function.BiPredicate;

/**
 * A Docker token server for the tests: {@code GET /token?service=S&scope=repository:NAME:ACTIONS...} with
 * Basic credentials answers {@code {"token": JWT, ...}} granting the requested actions the user's policy
 * allows (none for anonymous requests), like Distribution's reference token servers. Keys are generated at
 * start: an RSA key published as a JWKS file, an EC key as a PEM public key file.
 */
public final class TestTokenIssuer implements AutoCloseable {

    public static final String ISSUER = "berth-test-issuer";

    final RSAKey rsa;
    final ECKey ec;
    public final Path jwksFile;
    final Path pemFile;
    private final HttpServer server;
    private final Map<String, String> passwords;
    /** (user, "type:name:action") -> allowed. */
    private final BiPredicate<String, String> policy;
    public final List<String> requestedScopes = new ArrayList<>();

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

    private void issue(HttpExchange exchange) throws IOException {
        try (exchange) {
            String user = null;
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization != null && authorization.startsWith("Basic ")) {
                String decoded = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                String candidate = decoded.substring(0, colon);
                if (!decoded.substring(colon + 1).equals(passwords.get(candidate))) {
                    exchange.sendResponseHeaders(401, -1);
                    return;
                }
                user = candidate;
            }
            String service = null;
            List<String> scopes = new ArrayList<>();
            String query = exchange.getRequestURI().getRawQuery();
            for (String pair : query == null ? new String[0] : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (key.equals("service")) {
                    service = value;
                } else if (key.equals("scope")) {
                    scopes.addAll(List.of(value.split(" ")));
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
            String token = sign(rsa, user == null ? "" : user, service, access, Duration.ofMinutes(5));
            byte[] body = ("{\"token\":\"" + token + "\",\"access_token\":\"" + token
                    + "\",\"expires_in\":300,\"issued_at\":\"" + Instant.now() + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    static Map<String, Object> entry(String type, String name, String... actions) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", type);
        entry.put("name", name);
        entry.put("actions", List.of(actions));
        return entry;
    }

    /** A token as the server issues it, signed by {@code key}, for {@code audience}, valid for {@code lifetime}
     * (negative: expired that long ago). */
    static String sign(JWK key, String subject, String audience, List<Map<String, Object>> access, Duration lifetime) {
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
