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
 */
public record UploadState(Instant startedAt, Instant updatedAt, long size, String sha256State, List<Part> parts,
        boolean completed) {

    public UploadState {
        parts = List.copyOf(parts);
    }

    /** One stored piece of the upload's data: the store's handle for it and its size. */
    public record Part(String handle, long size) {
    }

    UploadState withPart(Part part, String newSha256State, Instant now) {
        List<Part> grown = new ArrayList<>(parts);
        grown.add(part);
        return new UploadState(startedAt, now, size + part.size(), newSha256State, grown, false);
    }

    UploadState asCompleted() {
        return new UploadState(startedAt, updatedAt, size, sha256State, parts, true);
    }
}
