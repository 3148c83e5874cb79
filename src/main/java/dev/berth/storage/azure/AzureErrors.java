package dev.berth.storage.azure;

import com.azure.storage.blob.models.BlobStorageException;
import dev.berth.storage.StorageException;
import java.util.function.Supplier;

/**
 * How what the SDK throws becomes what a {@link dev.berth.storage.StorageDriver} may throw: callers of the
 * store see the same exceptions whichever store it is. The driver's own exceptions ({@code ObjectNotFound},
 * {@code VersionConflict}, invalid paths) pass unchanged; everything else is a {@link StorageException} naming
 * the operation and the path.
 */
final class AzureErrors {

    private AzureErrors() {
    }

    /**
     * Runs one operation, turning what the SDK throws (service errors after retries, transport failures,
     * timeouts) into {@link StorageException}.
     */
    static <T> T call(String operation, String path, Supplier<T> action) {
        try {
            return action.get();
        } catch (StorageException | IllegalArgumentException e) {
            throw e;
        } catch (BlobStorageException e) {
            throw new StorageException("azure store could not " + operation + " " + path + ": HTTP "
                    + e.getStatusCode() + " " + e.getErrorCode(), e);
        } catch (RuntimeException e) {
            throw new StorageException("azure store could not " + operation + " " + path + ": " + e, e);
        }
    }

    /** The service has no such blob: an absent object, not a failure. */
    static boolean notFound(BlobStorageException e) {
        return e.getStatusCode() == 404;
    }

    /**
     * A conditional upload lost to another writer: 412 ConditionNotMet (If-Match), 409 BlobAlreadyExists
     * (If-None-Match: *), or 404 when the blob it had to match was deleted meanwhile.
     */
    static boolean lostCondition(BlobStorageException e, boolean ifMatch) {
        return e.getStatusCode() == 412 || e.getStatusCode() == 409 || (ifMatch && notFound(e));
    }
}
