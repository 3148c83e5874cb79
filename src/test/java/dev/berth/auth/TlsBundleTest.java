package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.BerthServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS through a Spring Boot SSL bundle, as docs/auth.md describes it, with a self-signed certificate. */
@Timeout(120)
class TlsBundleTest {

    @TempDir
    Path work;

    @Test
    void servesTheApiOverHttpsWithAnSslBundle() throws Exception {
        Path keystore = work.resolve("berth.p12");
        String password = "changeit-" + Commands.randomSuffix();
        Commands.run(Duration.ofSeconds(60), Map.of(), Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "berth", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", password);

        try (BerthServer berth = BerthServer.startOnFilesystem(work.resolve("store"),
                "--spring.ssl.bundle.jks.berth.keystore.location=file:" + keystore,
                "--spring.ssl.bundle.jks.berth.keystore.password=" + password,
                "--spring.ssl.bundle.jks.berth.keystore.type=PKCS12",
                "--server.ssl.bundle=berth")) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                trusted.load(in, password.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, trust.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();

            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + berth.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
            assertThat(response.body()).isEqualTo("{}");
        }
    }
}
