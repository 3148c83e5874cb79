package dev.berth.storage;

/** A conditional write lost: the object changed (or appeared) since the writer read it. */
public class VersionConflictException extends StorageException {

    public VersionConflictException(String path) {
        super("object at " + path + " was changed concurrently");
    }
}
