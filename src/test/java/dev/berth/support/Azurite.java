package dev.berth.support;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.testcontainers.azure.AzuriteContainer;

/**
 * The Azure Storage emulator the tests run against: one container per test JVM, started on first use and
 * stopped when the JVM exits. The image is the one {@code scripts/build-azurite-image} builds offline.
 */
public final class Azurite {

    /** The only place naming the Azurite image. */
    public static final String IMAGE = "mcr.microsoft.com/azure-storage/azurite:3.37.0";

    private static AzuriteContainer container;
    /** What must stop before the emulator does (a Berth on it would otherwise retry a dead endpoint). */
    private static final Deque<AutoCloseable> DEPENDENTS = new ArrayDeque<>();

    private Azurite() {
    }

    public static synchronized AzuriteContainer get() {
        if (container == null) {
            AzuriteContainer started = new AzuriteContainer(IMAGE);
            started.start();
            Runtime.getRuntime().addShutdownHook(new Thread(Azurite::stopAll, "azurite-stop"));
            container = started;
        }
        return container;
    }

    /** Closes {@code dependent} at JVM exit, before the emulator stops (latest registered first). */
    public static synchronized void closeBeforeStopping(AutoCloseable dependent) {
        DEPENDENTS.push(dependent);
    }

    private static synchronized void stopAll() {
        while (!DEPENDENTS.isEmpty()) {
            try {
                DEPENDENTS.pop().close();
            } catch (Exception e) {
                System.err.println("closing a user of Azurite failed: " + e);
            }
        }
        container.stop();
    }

    /** The {@code --berth.storage.*} arguments that put a Berth on the shared Azurite, in {@code blobContainer}. */
    public static String[] berthArgs(String blobContainer) {
        return new String[] {
                "--berth.storage.backend=azure",
                "--berth.storage.azure.connection-string=" + get().getConnectionString(),
                "--berth.storage.azure.container=" + blobContainer,
        };
    }

    /**
     * The names of every blob in {@code blobContainer} that starts with {@code prefix}, from one flat (paged)
     * listing: what walking the folders with {@code StorageDriver.list} finds, without a request per folder
     * (each of which Azurite answers in time growing with the container's size).
     */
    public static List<String> blobNames(String blobContainer, String prefix) {
        BlobContainerClient client = new BlobContainerClientBuilder().connectionString(get().getConnectionString())
                .containerName(blobContainer).buildClient();
        return client.listBlobs(new ListBlobsOptions().setPrefix(prefix).setMaxResultsPerPage(5000), null)
                .stream().map(BlobItem::getName).toList();
    }
}
