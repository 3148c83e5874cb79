package dev.berth.storage.azure;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Deletes a blob and the virtual folder of the same name. The service deletes one blob per request, so the
 * blobs of a folder (a repository's thousands of links) are deleted several at a time on the driver's
 * threads. A blob that is already gone counts as deleted: racing deleters reach the same outcome.
 */
final class FolderDeleter {

    /** Deletions in flight at once. */
    private static final int CONCURRENCY = 8;

    private final BlobContainerClient container;
    private final ExecutorService io;

    FolderDeleter(BlobContainerClient container, ExecutorService io) {
        this.container = container;
        this.io = io;
    }

    /** Deletes the blob {@code key} and every blob under {@code key/}. */
    void delete(String key) {
        deleteIfExists(container.getBlobClient(key));
        List<Future<?>> deletions = new ArrayList<>();
        for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(key + "/")
                .setMaxResultsPerPage(5000), null)) {
            BlobClient child = container.getBlobClient(item.getName());
            deletions.add(io.submit(() -> deleteIfExists(child)));
            while (inFlight(deletions) >= CONCURRENCY) {
                BlockStager.await(firstUnfinished(deletions));
            }
        }
        for (Future<?> deletion : deletions) {
            BlockStager.await(deletion);
        }
    }

    private static boolean deleteIfExists(BlobClient blob) {
        try {
            return blob.deleteIfExists();
        } catch (BlobStorageException e) {
            if (AzureErrors.notFound(e)) {
                return false; // another deleter won the race: the same outcome
            }
            throw e;
        }
    }

    private static int inFlight(List<Future<?>> futures) {
        int n = 0;
        for (Future<?> future : futures) {
            if (!future.isDone()) {
                n++;
            }
        }
        return n;
    }

    private static Future<?> firstUnfinished(List<Future<?>> futures) {
        for (Future<?> future : futures) {
            if (!future.isDone()) {
                return future;
            }
        }
        return futures.get(futures.size() - 1);
    }
}
