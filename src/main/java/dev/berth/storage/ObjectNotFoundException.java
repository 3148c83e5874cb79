package dev.berth.storage;

/** The path names no object. */
public class ObjectNotFoundException extends StorageException {

    public ObjectNotFoundException(String path) {
        super("no object at " + path);
    }
}
