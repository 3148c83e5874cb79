package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** The blobs in the shared blob store, {@code blobs/sha256/<2 hex>/<hex>/data}, found by listing it. */
final class StoredBlobs {

    /** A blob's data as the store describes it. */
    record Stored(Digest digest, long size, Instant modifiedAt) {
    }

    private final StorageDriver store;

    StoredBlobs(StorageDriver store) {
        this.store = store;
    }

    /**
     * Every stored blob whose digest {@code consider} accepts, with its size and age; the others are not
     * looked at (one store call saved per live blob).
     */
    List<Stored> list(Predicate<Digest> consider) {
        List<Stored> found = new ArrayList<>();
        String algorithm = StorePaths.BLOBS + "/sha256";
        for (String prefix : store.list(algorithm)) {
            for (String hex : store.list(algorithm + "/" + prefix)) {
                digestOf(hex).filter(consider).ifPresent(digest -> store.stat(StorePaths.blobData(digest))
                        .ifPresent(info -> found.add(new Stored(digest, info.size(), info.modifiedAt()))));
            }
        }
        return found;
    }

    /** The sha256 digest a folder or marker is named by, or empty for a name that is none. */
    static Optional<Digest> digestOf(String hex) {
        try {
            return Optional.of(Digest.sha256(hex));
        } catch (IllegalArgumentException notADigest) {
            return Optional.empty();
        }
    }
}
