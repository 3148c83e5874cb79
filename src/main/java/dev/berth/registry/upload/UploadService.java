package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;

/**
 * Blob uploads whose whole state lives in the store, so each request of one upload may reach a different
 * replica: the protocol's requests, each counted ({@link UploadEvents#observe}). An upload is found by
 * {@link OpenUploads}, grows by {@link ChunkAppender}, and is completed by {@link UploadCompletion}, whose
 * commit {@link UploadCommit} finishes. A replica dying mid-request leaves the last published state intact,
 * and a commit that began is finished by whichever request comes next.
 */
@Service
public class UploadService {

    private final OpenUploads uploads;
    private final ChunkAppender chunks;
    private final UploadCompletion completion;
    private final UploadCommit commits;
    private final StorageDriver store;
    private final UploadEvents events;
    private final Clock clock;

    UploadService(OpenUploads uploads, ChunkAppender chunks, UploadCompletion completion, UploadCommit commits,
            StorageDriver store, Optional<UploadEvents> events, Optional<Clock> clock) {
        this.uploads = uploads;
        this.chunks = chunks;
        this.completion = completion;
        this.commits = commits;
        this.store = store;
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /**
     * Opens an upload. Nothing is written: the id tells when it was opened, and its state is stored with its
     * first data, so a session that never receives any costs the store nothing.
     */
    public UploadStatus start(RepositoryName repository) {
        String id = UploadId.create(repository, clock);
        events.started();
        return new UploadStatus(repository, id, 0);
    }

    /** Where the upload stands; for one whose commit has begun, also the digest it is being committed as. */
    public UploadStatus status(RepositoryName repository, String id) {
        return events.observe(() -> uploads.status(repository, id));
    }

    /**
     * Streams one chunk into the upload ({@link ChunkAppender#append}). {@code range} (optional) must start
     * where the upload stands; {@code declaredLength} is the body's length from the request, or -1 when it is
     * not known (a chunked body).
     */
    public UploadStatus append(RepositoryName repository, String id, InputStream body, ChunkRange range,
            long declaredLength) {
        return events.observe(() -> chunks.append(repository, id, body, range, declaredLength));
    }

    /**
     * Finishes the upload ({@link UploadCompletion#complete}): an optional last chunk, then the digest checked
     * and recorded, then the parts joined into the blob's place in the store. Repeating it with the same digest
     * finishes a commit that broke off, and answers for one that finished while its client never heard.
     */
    public BlobInfo complete(RepositoryName repository, String id, Digest digest, InputStream lastChunk,
            long declaredLength) {
        return events.observe(() -> completion.complete(repository, id, digest, lastChunk, declaredLength));
    }

    /** A whole blob in one request ({@code POST ?digest=}). */
    public BlobInfo uploadWhole(RepositoryName repository, Digest digest, InputStream body, long declaredLength) {
        UploadStatus upload = start(repository);
        try {
            return complete(repository, upload.id(), digest, body, declaredLength);
        } catch (RuntimeException e) {
            discard(repository, upload.id()); // nobody else knows this upload's id
            throw e;
        }
    }

    /**
     * Deletes an upload and its data at once, without the record a cancel leaves: for an upload whose id
     * only its own writer knows.
     */
    public void discard(RepositoryName repository, String id) {
        store.delete(StorePaths.upload(repository, id));
    }

    /**
     * Lets readers on any replica read the upload's data received so far ({@link #readReceived}) while more
     * follows. Meant for an upload with one writer that sends its chunks one after another: the bytes
     * readable, or -1 where the store cannot show them before the commit.
     */
    public long publishReceived(RepositoryName repository, String id) {
        UploadState state = uploads.load(repository, id).state();
        List<String> handles = state.parts().stream().map(UploadState.Part::handle).toList();
        return store.publishPieces(StorePaths.uploadData(repository, id), handles) ? state.size() : -1;
    }

    /**
     * The upload's data from {@code offset}, as far as {@link #publishReceived} said it is readable (what
     * lies beyond is unspecified); empty once the upload is gone (committed, cancelled or discarded).
     */
    public Optional<InputStream> readReceived(RepositoryName repository, String id, long offset) {
        try {
            return Optional.of(store.read(StorePaths.uploadData(repository, id), offset));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    /** Ends an upload that has not begun its commit, and deletes its data. */
    public void cancel(RepositoryName repository, String id) {
        events.observe(() -> {
            UploadStates.Saved loaded = uploads.load(repository, id);
            if (loaded.state().isCommitting()) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the commit of upload " + id
                        + " has begun and cannot be cancelled; repeat PUT ?digest="
                        + UploadStates.committingAs(loaded.state()) + " to finish it", id);
            }
            try {
                commits.close(repository, id, loaded.state().asCancelled(clock.instant()), loaded.version());
            } catch (VersionConflictException e) {
                throw OpenUploads.unknown(id); // another request finished or cancelled it first
            }
            events.cancelled();
            return null;
        });
    }
}
