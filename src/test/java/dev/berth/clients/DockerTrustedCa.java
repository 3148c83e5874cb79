package dev.berth.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells the Docker daemon to trust a certificate authority for one registry ({@code host:port}), the way an
 * operator does for a private CA: {@code /etc/docker/certs.d/<host>:<port>/ca.crt}, which the daemon reads
 * at every push and pull, no restart needed. Closing removes the file and the folders it created. Folders
 * for the same host left behind by a run that was killed are removed first.
 */
public final class DockerTrustedCa implements AutoCloseable {

    public static final Path CERTS_D = Path.of("/etc/docker/certs.d");

    private final Path registryDirectory;
    private final boolean createdCertsD;

    private DockerTrustedCa(Path registryDirectory, boolean createdCertsD) {
        this.registryDirectory = registryDirectory;
        this.createdCertsD = createdCertsD;
    }

    public static DockerTrustedCa install(String host, int port, Path caCertificate) {
        try {
            boolean createdCertsD = !Files.isDirectory(CERTS_D);
            if (!createdCertsD) {
                try (DirectoryStream<Path> stale = Files.newDirectoryStream(CERTS_D, host + ":*")) {
                    for (Path directory : stale) {
                        deleteCa(directory);
                    }
                }
            }
            Path directory = CERTS_D.resolve(host + ":" + port);
            Files.createDirectories(directory);
            Files.copy(caCertificate, directory.resolve("ca.crt"));
            return new DockerTrustedCa(directory, createdCertsD);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write under " + CERTS_D + " (the test must run as root)", e);
        }
    }

    @Override
    public void close() {
        try {
            deleteCa(registryDirectory);
            if (createdCertsD) {
                Files.deleteIfExists(CERTS_D);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteCa(Path registryDirectory) throws IOException {
        Files.deleteIfExists(registryDirectory.resolve("ca.crt"));
        Files.deleteIfExists(registryDirectory);
    }
}
