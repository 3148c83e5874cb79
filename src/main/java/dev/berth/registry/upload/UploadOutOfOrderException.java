package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;

/**
 * A chunk did not start where the upload stands; the answer tells the client where to resume, with the
 * headers of an accepted chunk ({@link UploadStatus#headers()}).
 */
public class UploadOutOfOrderException extends RegistryException {

    public UploadOutOfOrderException(UploadStatus status, String message) {
        super(ErrorCode.RANGE_INVALID, message, null, status.headers(), null);
    }
}
