package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.upload.digest.ResumableSha256;
import dev.berth.storage.VersionConflictException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The request that completes an upload ({@code PUT ?digest=}): an optional last chunk, then the digest
 * checked against the saved hash state (no data is read back) and recorded in the state, which begins the
 * commit; {@link UploadCommit} then finishes it. The same request repeated, after a replica died or an answer
 * was lost, finishes a commit that began wherever it broke off, and answers for one that finished.
 */
@Component
class UploadCompletion {

    private final OpenUploads uploads;
    private final ChunkAppender chunks;
    private final UploadStates states;
    private final UploadCommit commits;
    private final BlobService blobs;
    private final UploadEvents events;
    private final Clock clock;

    UploadCompletion(OpenUploads uploads, ChunkAppender chunks, UploadStates states, UploadCommit commits,
            BlobService blobs, Optional<UploadEvents> events, Optional<Clock> clock) {
        this.uploads = uploads;
        this.chunks = chunks;
        this.states = states;
        this.commits = commits;
        this.blobs = blobs;
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /** Completes the upload as the blob {@code digest}, or answers a repetition of the request that did. */
    BlobInfo complete(RepositoryName repository, String id, Digest digest, InputStream lastChunk,
            long declaredLength) {
        Optional<BlobInfo> repeated = repeatedCommit(repository, id, digest, lastChunk, declaredLength);
        if (repeated.isPresent()) {
            return repeated.get();
        }
        if (declaredLength != 0) {
            chunks.append(repository, id, lastChunk, null, declaredLength);
        }
        UploadStates.Saved loaded = uploads.load(repository, id);
        UploadState state = loaded.state();
        if (state.isCommitting()) {
            return finishBegun(repository, id, digest, loaded); // a racing request began it meanwhile
        }
        String actual = ResumableSha256.resume(UploadStates.decode(state.sha256State())).hexDigest();
        if (!actual.equals(digest.hex())) {
            commits.close(repository, id, state.asCancelled(clock.instant()), loaded.version());
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the uploaded content has digest sha256:" + actual
                    + " but the client named " + digest + "; the upload was discarded", digest.toString());
        }
        UploadState committing = state.committing(digest.toString(), clock.instant());
        String version;
        try {
            version = states.publish(repository, id, committing, loaded.version());
        } catch (VersionConflictException e) {
            // Where the upload stands now is looked up as a status request would, and counted as one.
            UploadStatus now = events.observe(() -> uploads.status(repository, id));
            throw new UploadOutOfOrderException(now, "another request changed this upload while it was being"
                    + " completed; it now has " + now.size() + " bytes");
        }
        commits.finish(repository, id, committing, version, digest);
        events.completed(state.size(), Duration.between(state.startedAt(), clock.instant()));
        return new BlobInfo(digest, state.size());
    }

    /**
     * A commit asked for again: of an upload whose commit began (finished here, wherever it broke off), or
     * of one that is gone because it was committed (answered as the first commit was, if the blob is in the
     * repository). Empty when the upload simply takes its commit now.
     */
    private Optional<BlobInfo> repeatedCommit(RepositoryName repository, String id, Digest digest,
            InputStream lastChunk, long declaredLength) {
        if (!UploadId.isWellFormed(id)) {
            throw OpenUploads.unknown(id);
        }
        Optional<UploadStates.Saved> saved = states.read(repository, id);
        if (saved.isPresent()) {
            UploadState state = saved.get().state();
            if (state.cancelled()) {
                throw OpenUploads.unknown(id);
            }
            if (!state.completed()) {
                return Optional.empty();
            }
            requireNoData(id, lastChunk, declaredLength, state);
            return Optional.of(finishBegun(repository, id, digest, saved.get()));
        }
        Optional<UploadState> closed = states.closed(repository, id);
        if (closed.isEmpty() && uploads.mayBeOpenWithoutState(repository, id)) {
            return Optional.empty();
        }
        boolean committedAsThis = closed.map(state -> state.committed() && digest.toString().equals(state.digest()))
                .orElse(true);
        Optional<BlobInfo> linked = committedAsThis && declaredLength <= 0 ? blobs.find(repository, digest)
                : Optional.empty();
        if (linked.isPresent()) {
            return linked; // The commit finished; its answer was lost on the way.
        }
        throw OpenUploads.unknown(id);
    }

    /** Finishes a commit that began, if {@code digest} is the one it began with. */
    private BlobInfo finishBegun(RepositoryName repository, String id, Digest digest, UploadStates.Saved loaded) {
        UploadState state = loaded.state();
        Digest begun = UploadStates.committingAs(state);
        if (!begun.equals(digest)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "upload " + id + " is being committed as "
                    + begun + ", not " + digest, digest.toString());
        }
        commits.finish(repository, id, state, loaded.version(), digest);
        return new BlobInfo(digest, state.size());
    }

    /** A repeated commit carries no data: the bytes were all in when the commit began. */
    private static void requireNoData(String id, InputStream body, long declaredLength, UploadState state) {
        if (declaredLength == 0) {
            return;
        }
        try {
            if (declaredLength > 0 || body.read() >= 0) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the commit of upload " + id + " as "
                        + UploadStates.committingAs(state) + " has begun, so it takes no more data", id);
            }
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the request body broke off: " + e.getMessage());
        }
    }
}
