package dev.berth.auth;

import dev.berth.settings.InvalidSettingException;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Docker token authentication: bearer JWTs issued by an external token server, signed by one of the
 * configured keys, naming the configured issuer, this registry's service as audience, unexpired (within
 * the clock skew), with an {@code access} claim listing what they grant.
 */
final class TokenAuthenticator implements Authenticator {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    private final AuthProperties.Token settings;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    TokenAuthenticator(AuthProperties.Token settings) {
        this.settings = settings;
        require(settings.realm(), "berth.auth.token.realm");
        require(settings.service(), "berth.auth.token.service");
        require(settings.issuer(), "berth.auth.token.issuer");
        if (settings.certificates().isEmpty() && (settings.jwks() == null || settings.jwks().isBlank())) {
            throw new InvalidSettingException("berth.auth.token.certificates", "not set, and neither is"
                    + " berth.auth.token.jwks, so berth.auth.mode=token has no key to check tokens with",
                    "Set berth.auth.token.certificates to the token issuer's PEM certificate or public key files, or"
                            + " berth.auth.token.jwks to its JWK set (a file or an https URL).");
        }
        List<JWK> pemKeys = new ArrayList<>();
        for (Path file : settings.certificates()) {
            pemKeys.addAll(readPem(file));
        }
        JWKSource<SecurityContext> jwks = jwksSource(settings.jwks());
        processor.setJWSKeySelector(new AnyMatchingKey(pemKeys, jwks));
        DefaultJWTClaimsVerifier<SecurityContext> verifier = new DefaultJWTClaimsVerifier<>(settings.service(),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), Set.of("exp"));
        verifier.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, settings.clockSkew().toSeconds()));
        processor.setJWTClaimsSetVerifier(verifier);
    }

    @Override
    public Authentication authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Authentication.refused(authorization == null ? "no credentials" : "not a Bearer token");
        }
        Checked checked = check(authorization.substring(7).trim());
        if (checked.token() == null) {
            return Authentication.refused(checked.refusal());
        }
        VerifiedToken token = checked.token();
        return Authentication.granted(new Identity() {
            @Override
            public String subject() {
                return token.subject();
            }

            @Override
            public boolean allows(Access wanted) {
                return token.allows(wanted);
            }
        });
    }

    /** A token's verified claims, or why it is refused (never the token itself). */
    record Checked(VerifiedToken token, String refusal) {
    }

    /** Every check a bearer token of the API gets: signature, issuer, audience, expiry. */
    Checked check(String token) {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            return new Checked(null, "malformed token");
        } catch (BadJOSEException | JOSEException e) {
            return new Checked(null, "token refused: " + e.getMessage());
        }
        Set<Access> granted = new HashSet<>();
        Object access = claims.getClaim("access");
        if (access instanceof List<?> entries) {
            for (Object entry : entries) {
                if (entry instanceof Map<?, ?> map && map.get("type") instanceof String type
                        && map.get("name") instanceof String name && map.get("actions") instanceof List<?> actions) {
                    for (Object action : actions) {
                        if (action instanceof String a) {
                            granted.add(new Access(type, name, a));
                        }
                    }
                }
            }
        }
        String subject = claims.getSubject() == null ? "(no subject)" : claims.getSubject();
        return new Checked(new VerifiedToken(subject, Set.copyOf(granted), claims.getExpirationTime().toInstant()), null);
    }

    AuthProperties.Token settings() {
        return settings;
    }

    /** The token server may grant a token for more than the one the client sent. */
    @Override
    public boolean widerScopeObtainable() {
        return true;
    }

    @Override
    public String challenge(String scope, String error) {
        StringBuilder value = new StringBuilder("Bearer realm=\"").append(settings.realm())
                .append("\",service=\"").append(settings.service()).append('"');
        if (scope != null && !scope.isEmpty()) {
            value.append(",scope=\"").append(scope).append('"');
        }
        if (error != null) {
            value.append(",error=\"").append(error).append('"');
        }
        return value.toString();
    }

    private static void require(String value, String property) {
        if (value == null || value.isBlank()) {
            throw new InvalidSettingException(property, "not set, but berth.auth.mode=token needs it",
                    "Set " + property + " (docs/auth.md explains each token setting).");
        }
    }

    private static JWKSource<SecurityContext> jwksSource(String location) {
        if (location == null || location.isBlank()) {
            return null;
        }
        try {
            if (location.startsWith("http://") || location.startsWith("https://")) {
                return JWKSourceBuilder.<SecurityContext>create(URI.create(location).toURL()).build();
            }
            JWKSet set = JWKSet.load(Path.of(location).toFile());
            return (selector, context) -> selector.select(set);
        } catch (IOException e) {
            throw new InvalidSettingException("berth.auth.token.jwks", "cannot read " + location,
                    "Set berth.auth.token.jwks to a readable JWK set file or a reachable https URL.", e);
        } catch (ParseException e) {
            throw new InvalidSettingException("berth.auth.token.jwks", location + " is not a JWK set",
                    "Set berth.auth.token.jwks to the token issuer's JWK set.", e);
        }
    }

    /** Keys of every {@code CERTIFICATE} and {@code PUBLIC KEY} block of a PEM file. */
    static List<JWK> readPem(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new InvalidSettingException("berth.auth.token.certificates", "cannot read " + file,
                    "Set berth.auth.token.certificates to readable PEM files of the token issuer.", e);
        }
        List<JWK> keys = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            try {
                PublicKey key;
                switch (m.group(1)) {
                    case "CERTIFICATE" -> key = ((X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der))).getPublicKey();
                    case "PUBLIC KEY" -> key = publicKey(der);
                    default -> {
                        continue;
                    }
                }
                keys.add(toJwk(key));
            } catch (CertificateException | JOSEException e) {
                throw new InvalidSettingException("berth.auth.token.certificates", "cannot read a key of " + file,
                        "Give a PEM certificate, or an RSA or EC public key.", e);
            }
        }
        if (keys.isEmpty()) {
            throw new InvalidSettingException("berth.auth.token.certificates", file
                    + " holds no PEM CERTIFICATE or PUBLIC KEY", "Give the token issuer's PEM certificate or public key.");
        }
        return keys;
    }

    private static PublicKey publicKey(byte[] der) throws JOSEException {
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (Exception ignored) {
                // try the next algorithm
            }
        }
        throw new JOSEException("neither an RSA nor an EC public key");
    }

    private static JWK toJwk(PublicKey key) throws JOSEException {
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).build();
        }
        if (key instanceof ECPublicKey ec) {
            return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
        }
        throw new JOSEException("unsupported key type " + key.getAlgorithm());
    }

    /**
     * Offers every configured key of the token's algorithm family, the one whose {@code kid} matches first:
     * Docker token servers name keys by libtrust fingerprints, which PEM files do not carry.
     */
    private static final class AnyMatchingKey implements JWSKeySelector<SecurityContext> {

        private final List<JWK> pemKeys;
        private final JWKSource<SecurityContext> jwks;

        AnyMatchingKey(List<JWK> pemKeys, JWKSource<SecurityContext> jwks) {
            this.pemKeys = pemKeys;
            this.jwks = jwks;
        }

        @Override
        public List<? extends Key> selectJWSKeys(JWSHeader header, SecurityContext context) throws KeySourceException {
            JWSAlgorithm algorithm = header.getAlgorithm();
            if (!ALGORITHMS.contains(algorithm)) {
                return List.of();
            }
            KeyType type = KeyType.forAlgorithm(algorithm);
            List<JWK> candidates = new ArrayList<>(pemKeys);
            if (jwks != null) {
                candidates.addAll(jwks.get(new JWKSelector(new JWKMatcher.Builder().keyType(type).build()), context));
            }
            List<Key> first = new ArrayList<>();
            List<Key> rest = new ArrayList<>();
            for (JWK jwk : candidates) {
                if (!type.equals(jwk.getKeyType())) {
                    continue;
                }
                if (jwk.getKeyUse() != null && !"sig".equals(jwk.getKeyUse().identifier())) {
                    continue;
                }
                try {
                    Key key = jwk instanceof RSAKey rsa ? rsa.toPublicKey() : ((ECKey) jwk).toPublicKey();
                    if (jwk instanceof ECKey ec && !Curve.forJWSAlgorithm(algorithm).contains(ec.getCurve())) {
                        continue;
                    }
                    (header.getKeyID() != null && header.getKeyID().equals(jwk.getKeyID()) ? first : rest).add(key);
                } catch (JOSEException e) {
                    // an unusable key: skip it
                }
            }
            first.addAll(rest);
            return first;
        }
    }
}
