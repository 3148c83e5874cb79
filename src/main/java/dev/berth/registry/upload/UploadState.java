package dev.berth.registry.upload;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the store remembers of one upload between requests, so that any replica can serve its next one.
 *
 * @param startedAt when the upload was opened
 * @param updatedAt when it last received data
 * @param size bytes durably received: the sum of the parts
 * @param sha256State SHA-256 state after those bytes (Go's binary form, base64), so commit never re-reads data
 * @param parts the stored pieces of the upload's data in order, one per request that carried data
 * @param completed set once a commit has begun, so no later chunk can slip in
 * @param cancelled set when the client cancelled an upload that had no data yet, so its id stays unknown
 */
public record UploadState(Instant startedAt, Instant updatedAt, long size, String sha256State, List<Part> parts,
        boolean completed, boolean cancelled) {

    public UploadState {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }

    /** One stored piece of the upload's data: the store's handle for it and its size. */
    public record Part(String handle, long size) {
    }

    static UploadState opened(Instant at, String initialSha256State) {
        return new UploadState(at, at, 0, initialSha256State, List.of(), false, false);
    }

    UploadState withPart(Part part, String newSha256State, Instant now) {
        List<Part> grown = new ArrayList<>(parts);
        grown.add(part);
        return new UploadState(startedAt, now, size + part.size(), newSha256State, grown, false, false);
    }

    UploadState asCompleted() {
        return new UploadState(startedAt, updatedAt, size, sha256State, parts, true, false);
    }

    /** The last state of a committed upload. */
    UploadState asCommitted(Instant now) {
        return new UploadState(startedAt, now, size, sha256State, List.of(), true, false);
    }

    /**
     * The last state of a cancelled (or discarded) upload. It is marked completed too, so that replicas of
     * earlier builds, which know only that flag, also refuse the id.
     */
    UploadState asCancelled() {
        return new UploadState(startedAt, updatedAt, size, sha256State, List.of(), true, true);
    }
}
