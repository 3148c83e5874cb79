package dev.berth.registry.upload;

import dev.berth.memory.BufferPool;
import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.upload.digest.ResumableSha256;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.VersionConflictException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Adds one chunk to an open upload: the body goes through a {@link HashingPipe} into a new piece of the
 * upload's data ({@link PieceToStore}, {@link StorageDriver#writePiece}), then the state that names the piece
 * and the hash after it is published with a conditional write. Of two requests racing on one upload one wins;
 * the other's piece stays unused, and its client is told where the upload stands.
 */
@Component
class ChunkAppender {

    private final StorageDriver store;
    private final OpenUploads uploads;
    private final UploadStates states;
    private final OpenUploadsLimit limit;
    private final HashingPipe pipe;
    private final int pieceBuffers;
    private final UploadEvents events;
    private final Clock clock;

    ChunkAppender(StorageDriver store, OpenUploads uploads, UploadStates states, OpenUploadsLimit limit,
            UploadWriters writers, BufferPool buffers, Optional<UploadEvents> events, Optional<Clock> clock) {
        this.pipe = new HashingPipe(writers.executor(), buffers);
        this.pieceBuffers = (int) Math.min(1024, Math.max(HashingPipe.RESERVED,
                store.pieceBufferBytes() / HashingPipe.BUFFER_SIZE + 1));
        this.store = store;
        this.uploads = uploads;
        this.states = states;
        this.limit = limit;
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /**
     * Streams one chunk into the upload. {@code range} (optional) must start where the upload stands;
     * {@code declaredLength} is the body's length from the request, or -1 when it is not known (a chunked body).
     */
    UploadStatus append(RepositoryName repository, String id, InputStream body, ChunkRange range,
            long declaredLength) {
        Instant chunkStart = clock.instant();
        UploadStates.Saved loaded = uploads.load(repository, id);
        UploadState state = loaded.state();
        if (state.isCommitting()) {
            Digest begun = UploadStates.committingAs(state);
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the commit of upload " + id + " as "
                    + begun + " has begun, so it takes no more data; repeat PUT ?digest=" + begun
                    + " to finish it", id);
        }
        if (range != null) {
            if (range.start() != state.size()) {
                throw new UploadOutOfOrderException(new UploadStatus(repository, id, state.size()),
                        "chunk starts at byte " + range.start() + " but the upload has " + state.size()
                                + " bytes; resume from there");
            }
            if (declaredLength >= 0 && declaredLength != range.length()) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "Content-Range announces " + range.length()
                        + " bytes but Content-Length is " + declaredLength);
            }
        }
        if (loaded.version() == null) {
            // The upload's first data: within the limit, and its start recorded for the purge before it.
            limit.requireRoom(repository);
            states.recordStart(repository, id, state.startedAt());
        }
        ResumableSha256 hash = ResumableSha256.resume(UploadStates.decode(state.sha256State()));
        // A piece that ends up unused (short body, lost race) stays behind until the upload is deleted.
        HashingPipe.Result<Piece> written;
        try {
            written = pipe.transfer(body, hash, pieceBuffers,
                    new PieceToStore(store, StorePaths.uploadData(repository, id)));
        } catch (ObjectNotFoundException e) {
            throw dataGone(repository, id);
        }
        Piece piece = written.stored();
        long received = written.count();
        if (piece.size() != received) {
            // Never publish a hash over bytes the store did not keep.
            throw new StorageException("the store kept " + piece.size() + " of the chunk's " + received + " bytes");
        }
        long expected = range != null ? range.length() : declaredLength;
        if (expected >= 0 && received != expected) {
            throw new RegistryException(ErrorCode.SIZE_INVALID,
                    "the chunk announced " + expected + " bytes but carried " + received);
        }
        if (received == 0) {
            return new UploadStatus(repository, id, state.size());
        }
        UploadState grown = state.withPart(new UploadState.Part(piece.handle(), received),
                UploadStates.encode(hash.state()), clock.instant());
        try {
            states.publish(repository, id, grown, loaded.version());
        } catch (VersionConflictException e) {
            // Where the upload stands now is looked up as a status request would, and counted as one.
            UploadStatus now = events.observe(() -> uploads.status(repository, id));
            throw new UploadOutOfOrderException(now,
                    "another request changed this upload at the same time; resume from byte " + now.size());
        }
        events.chunkReceived(received, Duration.between(chunkStart, clock.instant()));
        return new UploadStatus(repository, id, grown.size());
    }

    /** The upload's state names data the store no longer has (deleted meanwhile, or another layout's). */
    private RegistryException dataGone(RepositoryName repository, String id) {
        store.delete(StorePaths.upload(repository, id));
        return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                "the data of upload " + id + " is no longer in the store; start a new upload", id);
    }
}
