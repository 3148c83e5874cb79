package dev.berth.storage;

/** The store failed or could not be reached; the request may succeed when retried. */
public class StorageException extends RuntimeException {

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    public StorageException(String message) {
        super(message);
    }
}
