package dev.berth.storage.azure;

import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobBeginCopySourceRequestConditions;
import com.azure.storage.blob.models.BlobCopyInfo;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.options.BlobBeginCopyOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageException;
import java.time.Duration;

/**
 * The service's own Copy Blob, which within one account shares the data instead of copying it (measured on
 * Azurite: 0.05 s for 256 MiB against 6.8 s by Put Block From URL). A copy is started against the source's
 * ETag, so a source overwritten meanwhile fails it instead of copying a mix, and polled on the caller's
 * thread until it is done or {@link #COPY_TIMEOUT} has passed.
 */
final class BlobCopier {

    /** How long a single-source concatenation (a server-side copy) may take. */
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration COPY_POLL_INTERVAL = Duration.ofMillis(250);

    private final SasSigner signer;

    BlobCopier(SasSigner signer) {
        this.signer = signer;
    }

    /**
     * Copies {@code source} (the blob of {@code sourcePath}) over {@code target} and returns when the copy is
     * done; until then the target's copy status is pending, which the driver's {@code stat} hides.
     */
    void copy(String sourcePath, BlobClient source, BlockBlobClient target) {
        BlobProperties properties = sourceProperties(sourcePath, source);
        SyncPoller<BlobCopyInfo, Void> poller = target.beginCopy(new BlobBeginCopyOptions(signer.copySourceUrl(source))
                .setSourceRequestConditions(new BlobBeginCopySourceRequestConditions().setIfMatch(properties.getETag()))
                .setPollInterval(COPY_POLL_INTERVAL));
        PollResponse<BlobCopyInfo> done = pollOnThisThread(poller, sourcePath);
        CopyStatusType status = done.getValue() == null ? null : done.getValue().getCopyStatus();
        if (status != CopyStatusType.SUCCESS) {
            if (status == CopyStatusType.PENDING) {
                poller.cancelOperation();
            }
            throw new StorageException("azure store could not copy " + sourcePath + ": copy status " + status
                    + (done.getValue() == null ? "" : " " + done.getValue().getError()));
        }
    }

    /**
     * Polls a copy on the calling thread until it ends or {@link #COPY_TIMEOUT} passes. The poller's own
     * waitForCompletion would poll on the SDK's small shared executor: many commits at once would queue there
     * behind each other, one blocked thread each.
     */
    private static PollResponse<BlobCopyInfo> pollOnThisThread(SyncPoller<BlobCopyInfo, Void> poller, String sourcePath) {
        long deadline = System.nanoTime() + COPY_TIMEOUT.toNanos();
        PollResponse<BlobCopyInfo> response = poller.poll();
        while (!response.getStatus().isComplete() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(COPY_POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("azure store: interrupted while copying " + sourcePath, e);
            }
            response = poller.poll();
        }
        return response;
    }

    private static BlobProperties sourceProperties(String sourcePath, BlobClient source) {
        try {
            return source.getProperties();
        } catch (BlobStorageException e) {
            if (AzureErrors.notFound(e)) {
                throw new ObjectNotFoundException(sourcePath);
            }
            throw e;
        }
    }
}
