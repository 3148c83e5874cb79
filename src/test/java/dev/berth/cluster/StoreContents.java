package dev.berth.cluster;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.berth.registry.StorePaths;
import dev.berth.support.Azurite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a store holds, read by the test straight from the store (never through Berth, never changing it):
 * the blobs' data, the garbage collector's markers and its lease, on Azurite or in a store folder.
 */
interface StoreContents {

    /** The digest of every blob whose data is stored ({@code blobs/sha256/<2 hex>/<hex>/data}). */
    Set<String> blobs();

    /** The digest of every blob the garbage collector has a marker for ({@code berth/gc/condemned/sha256/<hex>}). */
    Set<String> markers();

    /** The collector's lease as stored (JSON naming its holder's id and when it lapses), if any. */
    Optional<String> lease();

    static StoreContents onAzurite(String container) {
        BlobContainerClient client = new BlobContainerClientBuilder()
                .connectionString(Azurite.get().getConnectionString()).containerName(container).buildClient();
        return new StoreContents() {
            @Override
            public Set<String> blobs() {
                Set<String> digests = new TreeSet<>();
                for (String name : Azurite.blobNames(container, StorePaths.BLOBS + "/sha256/")) {
                    String[] parts = name.split("/");
                    if (name.endsWith("/data") && parts.length >= 3) {
                        digests.add("sha256:" + parts[parts.length - 2]);
                    }
                }
                return digests;
            }

            @Override
            public Set<String> markers() {
                Set<String> digests = new TreeSet<>();
                for (String name : Azurite.blobNames(container, StorePaths.CONDEMNED + "/sha256/")) {
                    digests.add("sha256:" + name.substring(name.lastIndexOf('/') + 1));
                }
                return digests;
            }

            @Override
            public Optional<String> lease() {
                var blob = client.getBlobClient(StorePaths.GC_LOCK);
                return blob.exists()
                        ? Optional.of(blob.downloadContent().toString())
                        : Optional.empty();
            }
        };
    }

    static StoreContents inFolder(Path root) {
        return new StoreContents() {
            @Override
            public Set<String> blobs() {
                Path folder = root.resolve(StorePaths.BLOBS + "/sha256");
                Set<String> digests = new TreeSet<>();
                if (!Files.isDirectory(folder)) {
                    return digests;
                }
                try (Stream<Path> files = Files.find(folder, 3,
                        (path, attributes) -> attributes.isRegularFile() && path.getFileName().toString().equals("data"))) {
                    files.forEach(data -> digests.add("sha256:" + data.getParent().getFileName()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return digests;
            }

            @Override
            public Set<String> markers() {
                Path folder = root.resolve(StorePaths.CONDEMNED + "/sha256");
                Set<String> digests = new TreeSet<>();
                if (!Files.isDirectory(folder)) {
                    return digests;
                }
                try (Stream<Path> files = Files.list(folder)) {
                    files.filter(Files::isRegularFile).forEach(marker -> digests.add("sha256:" + marker.getFileName()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return digests;
            }

            @Override
            public Optional<String> lease() {
                Path lease = root.resolve(StorePaths.GC_LOCK);
                try {
                    return Files.exists(lease) ? Optional.of(Files.readString(lease, StandardCharsets.UTF_8)) : Optional.empty();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
