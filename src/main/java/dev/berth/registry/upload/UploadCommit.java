package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.RegistryException;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.gc.BlobRescue;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The second half of a commit, once {@link UploadCompletion} has verified its digest and recorded it in the
 * upload's state: the pieces joined into the blob's place (unless the blob is there already), the blob linked
 * into the repository, the upload closed. Every step may be repeated, by the same request or by another
 * replica after this one died at any point: what is done already is found done, so a commit always finishes
 * wherever it broke off. Before it relies on the blob's data (composing it, or finding it there) it rescues the
 * blob from the garbage collector, or waits for the collector to finish deleting it and composes it anew.
 */
@Component
class UploadCommit {

    private final StorageDriver store;
    private final BlobService blobs;
    private final UploadStates states;
    private final BlobRescue rescue;
    private final Clock clock;

    UploadCommit(StorageDriver store, BlobService blobs, UploadStates states, BlobRescue rescue,
            Optional<Clock> clock) {
        this.store = store;
        this.blobs = blobs;
        this.states = states;
        this.rescue = rescue;
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /** Finishes the commit of {@code state} (whose commit for {@code digest} has begun) at {@code version}. */
    void finish(RepositoryName repository, String id, UploadState state, String version, Digest digest) {
        rescue.rescueOrAwaitDeletion(digest);
        if (blobs.findStored(digest).isEmpty()) {
            compose(repository, id, state, digest);
        }
        blobs.link(repository, digest);
        try {
            close(repository, id, state.asCommitted(clock.instant()), version);
        } catch (VersionConflictException finishedElsewhere) {
            // Another request finished this commit at the same time: the outcome is the same.
            close(repository, id, state.asCommitted(clock.instant()), null, true);
        }
    }

    private void compose(RepositoryName repository, String id, UploadState state, Digest digest) {
        List<String> pieces = state.parts().stream().map(UploadState.Part::handle).toList();
        if (pieces.isEmpty()) {
            store.writeBytes(StorePaths.blobData(digest), new byte[0]);
            return;
        }
        try {
            store.composePieces(StorePaths.uploadData(repository, id), pieces, StorePaths.blobData(digest));
        } catch (ObjectNotFoundException e) {
            // Gone because another request composed them into the blob a moment ago, or gone for good.
            if (blobs.findStored(digest).isEmpty()) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                        "the data of upload " + id + " is no longer in the store; start a new upload", id);
            }
        }
    }

    /**
     * Ends an upload for good: its state is marked first (so a racing request loses), then a marker outlives
     * the upload's folder until its id expires, so the id is never served again; then the folder and its
     * data go. Throws VersionConflictException when the state changed since {@code version} was read.
     */
    void close(RepositoryName repository, String id, UploadState ended, String version) {
        close(repository, id, ended, version, false);
    }

    private void close(RepositoryName repository, String id, UploadState ended, String version, boolean stateDone) {
        if (!stateDone) {
            states.publish(repository, id, ended, version);
        }
        if (UploadId.openedAt(id, repository).isPresent()) {
            states.markClosed(repository, id, ended);
        }
        store.delete(StorePaths.upload(repository, id));
    }
}
