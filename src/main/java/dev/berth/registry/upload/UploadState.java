package dev.berth.registry.upload;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the store remembers of one upload between requests, so that any replica can serve its next one.
 *
 * @param startedAt when the upload was opened
 * @param updatedAt when it last received data, or its commit began or ended
 * @param size bytes durably received: the sum of the parts
 * @param sha256State SHA-256 state after those bytes (Go's binary form, base64), so commit never re-reads data
 * @param parts the stored pieces of the upload's data in order, one per request that carried data
 * @param completed set once a commit has begun (or the upload was cancelled), so no later chunk can slip in;
 *     the only flag replicas of earlier builds know
 * @param digest the digest the commit is for, once it has begun; a repeated commit finishes it
 * @param committed set once the blob is in place and linked: what stays is the upload's record
 * @param cancelled set when the client cancelled the upload (or its digest did not match)
 */
public record UploadState(Instant startedAt, Instant updatedAt, long size, String sha256State, List<Part> parts,
        boolean completed, String digest, boolean committed, boolean cancelled) {

    public UploadState {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }

    /** One stored piece of the upload's data: the store's handle for it and its size. */
    public record Part(String handle, long size) {
    }

    static UploadState opened(Instant at, String initialSha256State) {
        return new UploadState(at, at, 0, initialSha256State, List.of(), false, null, false, false);
    }

    /** Still taking data: no commit has begun and it was not cancelled. */
    boolean isOpen() {
        return !completed && !cancelled;
    }

    /** A commit has begun and not yet been seen to its end. */
    boolean isCommitting() {
        return completed && !committed && !cancelled;
    }

    UploadState withPart(Part part, String newSha256State, Instant now) {
        List<Part> grown = new ArrayList<>(parts);
        grown.add(part);
        return new UploadState(startedAt, now, size + part.size(), newSha256State, grown, false, null, false, false);
    }

    UploadState committing(String blobDigest, Instant now) {
        return new UploadState(startedAt, now, size, sha256State, parts, true, blobDigest, false, false);
    }

    /** The record of a committed upload: the blob is in place and linked. */
    UploadState asCommitted(Instant now) {
        return new UploadState(startedAt, now, size, sha256State, List.of(), true, digest, true, false);
    }

    /**
     * The record of a cancelled (or discarded) upload. It is marked completed too, so that replicas of earlier
     * builds, which know only that flag, also refuse the id.
     */
    UploadState asCancelled(Instant now) {
        return new UploadState(startedAt, now, size, sha256State, List.of(), true, null, false, true);
    }
}
