package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;

/**
 * A chunk did not start where the upload stands; the client must resume from {@link #status()}, which the
 * answer's headers tell it as those of an accepted chunk do ({@link UploadStatus#headers()}).
 */
public class UploadOutOfOrderException extends RegistryException {

    private final transient UploadStatus status;

    public UploadOutOfOrderException(UploadStatus status, String message) {
        super(ErrorCode.RANGE_INVALID, message, null, status.headers(), null);
        this.status = status;
    }

    public UploadStatus status() {
        return status;
    }
}
