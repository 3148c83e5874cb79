package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import dev.berth.api.RegistryRoute;
import dev.berth.clients.Commands;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter's rules without a server: actions per route, name patterns, PEM certificates as token keys. */
class AccessRulesTest {

    @TempDir
    Path work;

    @Test
    void actionsFollowTheMethod() {
        RegistryRoute manifest = RegistryRoute.parse("team/app/manifests/v1");
        assertThat(AccessControlFilter.required(manifest, "GET")).containsExactly(Access.repository("team/app", "pull"));
        assertThat(AccessControlFilter.required(manifest, "HEAD")).containsExactly(Access.repository("team/app", "pull"));
        assertThat(AccessControlFilter.required(manifest, "PUT")).containsExactly(Access.repository("team/app", "push"));
        assertThat(AccessControlFilter.required(manifest, "DELETE")).containsExactly(Access.repository("team/app", "delete"));
        assertThat(AccessControlFilter.required(RegistryRoute.parse("team/app/blobs/uploads/abc"), "PATCH"))
                .containsExactly(Access.repository("team/app", "push"));
        assertThat(AccessControlFilter.required(RegistryRoute.parse("_catalog"), "GET")).containsExactly(Access.catalog());
        assertThat(AccessControlFilter.required(RegistryRoute.parse(""), "GET")).isEmpty();
        assertThat(AccessControlFilter.required(null, "GET")).isEmpty();
    }

    @Test
    void tokenModeNamesEverySettingItMisses() {
        AuthProperties.Token complete = new AuthProperties.Token("https://auth.example.com/token", "registry",
                "issuer", List.of(), "https://auth.example.com/jwks", Duration.ofSeconds(60), "berth-ui", Duration.ofSeconds(5));
        assertThatThrownBy(() -> new TokenAuthenticator(new AuthProperties.Token(null, complete.service(),
                complete.issuer(), List.of(), complete.jwks(), complete.clockSkew(), "berth-ui", Duration.ofSeconds(5))))
                .hasMessageContaining("berth.auth.token.realm");
        assertThatThrownBy(() -> new TokenAuthenticator(new AuthProperties.Token(complete.realm(), " ",
                complete.issuer(), List.of(), complete.jwks(), complete.clockSkew(), "berth-ui", Duration.ofSeconds(5))))
                .hasMessageContaining("berth.auth.token.service");
        assertThatThrownBy(() -> new TokenAuthenticator(new AuthProperties.Token(complete.realm(), complete.service(),
                "", List.of(), complete.jwks(), complete.clockSkew(), "berth-ui", Duration.ofSeconds(5))))
                .hasMessageContaining("berth.auth.token.issuer");
        assertThatThrownBy(() -> new TokenAuthenticator(new AuthProperties.Token(complete.realm(), complete.service(),
                complete.issuer(), List.of(), null, complete.clockSkew(), "berth-ui", Duration.ofSeconds(5))))
                .hasMessageContaining("berth.auth.token.certificates: not set, and neither is berth.auth.token.jwks");
    }

    @Test
    void namePatterns() {
        assertThat(RepositoryPattern.of("public/**").matches("public/a/b")).isTrue();
        assertThat(RepositoryPattern.of("public/**").matches("publicity/a")).isFalse();
        assertThat(RepositoryPattern.of("mirror/*").matches("mirror/alpine")).isTrue();
        assertThat(RepositoryPattern.of("mirror/*").matches("mirror/library/alpine")).isFalse();
        assertThat(RepositoryPattern.of("a.b/*").matches("axb/c")).isFalse();
    }

    @Test
    void pemCertificatesVerifyTokens() throws Exception {
        Path keystore = work.resolve("signer.p12");
        Path pem = work.resolve("signer.pem");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Commands.run(Duration.ofSeconds(60), Map.of(), keytool, "-genkeypair", "-alias", "signer", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=token-signer", "-validity", "2",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        Commands.run(Duration.ofSeconds(60), Map.of(), keytool, "-exportcert", "-rfc", "-alias", "signer",
                "-keystore", keystore.toString(), "-storepass", "changeit", "-file", pem.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, "changeit".toCharArray());
        }
        X509Certificate certificate = (X509Certificate) store.getCertificate("signer");
        ECKey signer = new ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256, (ECPublicKey) certificate.getPublicKey())
                .privateKey((ECPrivateKey) store.getKey("signer", "changeit".toCharArray())).keyID("libtrust-style-id").build();

        TokenAuthenticator authenticator = new TokenAuthenticator(new AuthProperties.Token("https://auth.example/token",
                "svc", TestTokenIssuer.ISSUER, List.of(pem), null, Duration.ofSeconds(30), "berth-ui", Duration.ofSeconds(5)));
        String token = TestTokenIssuer.sign(signer, "alice", "svc",
                List.of(TestTokenIssuer.entry("repository", "team/app", "pull")), Duration.ofMinutes(5));
        Authentication result = authenticator.authenticate("Bearer " + token);
        assertThat(result.succeeded()).as(String.valueOf(result.refusal())).isTrue();
        Identity identity = result.identity();
        assertThat(identity.subject()).isEqualTo("alice");
        assertThat(identity.allows(Access.repository("team/app", "pull"))).isTrue();
        assertThat(identity.allows(Access.repository("team/app", "push"))).isFalse();
        assertThat(identity.allows(Access.repository("team/other", "pull"))).isFalse();
        assertThat(authenticator.challenge("repository:team/app:pull", null)).isEqualTo(
                "Bearer realm=\"https://auth.example/token\",service=\"svc\",scope=\"repository:team/app:pull\"");
    }

    @Test
    void incompleteSettingsStopStartUp() {
        assertThatThrownBy(() -> new TokenAuthenticator(new AuthProperties.Token("https://auth.example/token", "svc",
                "iss", List.of(), null, Duration.ofSeconds(30), "berth-ui", Duration.ofSeconds(5)))).hasMessageContaining("certificates");
        assertThatThrownBy(() -> new HtpasswdAuthenticator(null, "r", new HtpasswdRights(List.of()))).hasMessageContaining("berth.auth.htpasswd.path");
        assertThatThrownBy(() -> new HtpasswdAuthenticator(work.resolve("missing"), "r", new HtpasswdRights(List.of()))).hasMessageContaining("not a readable");
    }
}
