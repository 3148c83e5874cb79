package dev.berth.clients;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made for one test run, and a server certificate it signed for one host name, both
 * made with openssl in the test's own folder and valid for a day. The name is in the subjectAltName: Go's
 * TLS (docker) and Java's check only that, not the common name. Clients trust {@link #certificate()} and
 * nothing else, so a handshake that succeeds proves they were told to.
 */
public record ThrowawayCa(Path certificate, Path serverCertificate, Path serverKey) {

    public static final String OPENSSL = "/usr/bin/openssl";

    /** Makes the authority and a certificate for {@code hostName} in {@code directory}. */
    public static ThrowawayCa forHost(Path directory, String hostName) {
        Commands.requireExecutable(OPENSSL);
        try {
            Files.createDirectories(directory);
            String d = directory.toAbsolutePath().toString();
            Commands.run(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.crt", "-days", "1",
                    "-subj", "/CN=Berth test CA " + Commands.randomSuffix(),
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            Commands.run(OPENSSL, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=" + hostName);
            Files.writeString(directory.resolve("server.ext"), String.join("\n",
                    "basicConstraints=CA:FALSE",
                    "keyUsage=critical,digitalSignature",
                    "extendedKeyUsage=serverAuth",
                    "subjectAltName=DNS:" + hostName,
                    ""), StandardCharsets.UTF_8);
            byte[] serial = new byte[16];
            new SecureRandom().nextBytes(serial);
            serial[0] &= 0x7f;
            Commands.run(OPENSSL, "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey",
                    d + "/ca.key", "-set_serial", "0x" + HexFormat.of().formatHex(serial), "-days", "1",
                    "-extfile", d + "/server.ext", "-out", d + "/server.crt");
            return new ThrowawayCa(directory.resolve("ca.crt"), directory.resolve("server.crt"),
                    directory.resolve("server.key"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** TLS for java.net.http clients that trusts this authority alone. */
    public SSLContext sslContext() {
        try (InputStream in = Files.newInputStream(certificate)) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load " + certificate, e);
        }
    }
}
