package dev.berth.registry.upload;

import dev.berth.memory.BufferPool;
import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.upload.digest.ResumableSha256;
import dev.berth.registry.upload.digest.Sha256State;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.VersionConflictException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.springframework.stereotype.Service;

/**
 * Blob uploads whose whole state lives in the store, so each request of one upload may reach a different
 * replica. Every request that carries data writes it as a new part and then publishes the new state with
 * a conditional write: of two racing requests one wins, the other's part is discarded and its client is
 * told where the upload stands. A replica dying mid-request leaves the last published state intact, and a
 * commit that began is finished by whichever request comes next ({@link UploadCommit}).
 */
@Service
public class UploadService {

    /** An id may name a time this far ahead of this replica's clock (another replica's clock may run ahead). */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    private final StorageDriver store;
    private final BlobService blobs;
    private final UploadStates states;
    private final UploadCommit commits;
    private final Clock clock;
    private final UploadExpiry expiry;
    private final UploadEvents events;
    private final int maxOpenPerRepository;
    private final HashingPipe pipe;
    private final int pieceBuffers;

    public UploadService(StorageDriver store, BlobService blobs, UploadStates states, UploadCommit commits,
            UploadWriters writers, BufferPool buffers, UploadProperties properties, Optional<UploadEvents> events,
            Optional<Clock> clock) {
        this.pipe = new HashingPipe(writers.executor(), buffers);
        this.pieceBuffers = (int) Math.min(1024, Math.max(HashingPipe.RESERVED,
                store.pieceBufferBytes() / HashingPipe.BUFFER_SIZE + 1));
        this.store = store;
        this.blobs = blobs;
        this.states = states;
        this.commits = commits;
        this.expiry = new UploadExpiry(properties);
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
        this.maxOpenPerRepository = properties.maxOpenPerRepository();
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
        return observed(() -> {
            Loaded loaded = load(repository, id);
            UploadState state = loaded.state();
            return new UploadStatus(repository, id, state.size(),
                    state.isCommitting() ? committingAs(state) : null);
        });
    }

    /**
     * Streams one chunk into the upload. {@code range} (optional) must start where the upload stands;
     * {@code declaredLength} is the body's length from the request, or -1 when it is not known (a chunked body).
     */
    public UploadStatus append(RepositoryName repository, String id, InputStream body, ChunkRange range,
            long declaredLength) {
        return observed(() -> appendChunk(repository, id, body, range, declaredLength));
    }

    private UploadStatus appendChunk(RepositoryName repository, String id, InputStream body, ChunkRange range,
            long declaredLength) {
        Instant chunkStart = clock.instant();
        Loaded loaded = load(repository, id);
        UploadState state = loaded.state();
        if (state.isCommitting()) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the commit of upload " + id + " as "
                    + committingAs(state) + " has begun, so it takes no more data; repeat PUT ?digest="
                    + committingAs(state) + " to finish it", id);
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
            openInStore(repository, id, state);
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
            UploadStatus now = status(repository, id);
            throw new UploadOutOfOrderException(now,
                    "another request changed this upload at the same time; resume from byte " + now.size());
        }
        events.chunkReceived(received, Duration.between(chunkStart, clock.instant()));
        return new UploadStatus(repository, id, grown.size());
    }

    /**
     * Finishes the upload: an optional last chunk, then the digest checked against the saved hash state (no
     * data is read back) and recorded, then the parts joined into the blob's place in the store. Repeating it
     * with the same digest finishes a commit that broke off, and answers for one that finished while its
     * client never heard.
     */
    public BlobInfo complete(RepositoryName repository, String id, Digest digest, InputStream lastChunk,
            long declaredLength) {
        return observed(() -> commit(repository, id, digest, lastChunk, declaredLength));
    }

    private BlobInfo commit(RepositoryName repository, String id, Digest digest, InputStream lastChunk,
            long declaredLength) {
        Optional<BlobInfo> repeated = repeatedCommit(repository, id, digest, lastChunk, declaredLength);
        if (repeated.isPresent()) {
            return repeated.get();
        }
        if (declaredLength != 0) {
            appendChunk(repository, id, lastChunk, null, declaredLength);
        }
        Loaded loaded = load(repository, id);
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
            UploadStatus now = status(repository, id);
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
            throw unknown(id);
        }
        Optional<UploadStates.Saved> saved = states.read(repository, id);
        if (saved.isPresent()) {
            UploadState state = saved.get().state();
            if (state.cancelled()) {
                throw unknown(id);
            }
            if (!state.completed()) {
                return Optional.empty();
            }
            requireNoData(id, lastChunk, declaredLength, state);
            return Optional.of(finishBegun(repository, id, digest, new Loaded(state, saved.get().version())));
        }
        Optional<UploadState> closed = states.closed(repository, id);
        boolean fresh = closed.isEmpty() && UploadId.openedAt(id, repository)
                .filter(at -> !at.isAfter(clock.instant().plus(CLOCK_SKEW)))
                .filter(at -> expiry.expired(at, at, clock.instant()).isEmpty()).isPresent();
        if (fresh) {
            return Optional.empty();
        }
        boolean committedAsThis = closed.map(state -> state.committed() && digest.toString().equals(state.digest()))
                .orElse(true);
        Optional<BlobInfo> linked = committedAsThis && declaredLength <= 0 ? blobs.find(repository, digest)
                : Optional.empty();
        if (linked.isPresent()) {
            return linked; // The commit finished; its answer was lost on the way.
        }
        throw unknown(id);
    }

    /** Finishes a commit that began, if {@code digest} is the one it began with. */
    private BlobInfo finishBegun(RepositoryName repository, String id, Digest digest, Loaded loaded) {
        UploadState state = loaded.state();
        Digest begun = committingAs(state);
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
                        + committingAs(state) + " has begun, so it takes no more data", id);
            }
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the request body broke off: " + e.getMessage());
        }
    }

    /** The digest a begun commit is for (for a state of an earlier build, which did not record it: its hash). */
    private static Digest committingAs(UploadState state) {
        return state.digest() != null ? Digest.parse(state.digest())
                : Digest.sha256(ResumableSha256.resume(UploadStates.decode(state.sha256State())).hexDigest());
    }

    /** A whole blob in one request ({@code POST ?digest=}). */
    public BlobInfo uploadWhole(RepositoryName repository, Digest digest, InputStream body, long declaredLength) {
        UploadStatus upload = start(repository);
        try {
            return complete(repository, upload.id(), digest, body, declaredLength);
        } catch (RuntimeException e) {
            // Nobody else knows this upload's id: its folder can go at once.
            store.delete(StorePaths.upload(repository, upload.id()));
            throw e;
        }
    }

    public void cancel(RepositoryName repository, String id) {
        observed(() -> {
            Loaded loaded = load(repository, id);
            if (loaded.state().isCommitting()) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the commit of upload " + id
                        + " has begun and cannot be cancelled; repeat PUT ?digest=" + committingAs(loaded.state())
                        + " to finish it", id);
            }
            try {
                commits.close(repository, id, loaded.state().asCancelled(clock.instant()), loaded.version());
            } catch (VersionConflictException e) {
                throw unknown(id); // another request finished or cancelled it first
            }
            events.cancelled();
            return null;
        });
    }

    /**
     * Before an upload's first data: refuses it when the repository has too many uploads holding data, then
     * records its start, so the purge knows the age of the data about to be written.
     */
    private void openInStore(RepositoryName repository, String id, UploadState state) {
        if (maxOpenPerRepository > 0 && store.list(StorePaths.uploads(repository), null, maxOpenPerRepository)
                .size() >= maxOpenPerRepository) {
            throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "repository " + repository + " has "
                    + maxOpenPerRepository + " uploads in progress already; finish or cancel some, or retry later");
        }
        states.recordStart(repository, id, state.startedAt());
    }

    /** Counts requests in flight and failures by error code around one upload request. */
    private <T> T observed(Supplier<T> request) {
        events.requestStarted();
        try {
            return request.get();
        } catch (RegistryException e) {
            events.failed(e.code());
            throw e;
        } finally {
            events.requestFinished();
        }
    }

    /**
     * The upload's state and its version, open or committing; an upload Berth opened that has no data yet
     * has no state in the store, so it starts from the time its id names (version null). An open upload past
     * its timeout is deleted and unknown; a committing one is finished whatever its age.
     */
    private Loaded load(RepositoryName repository, String id) {
        if (!UploadId.isWellFormed(id)) {
            throw unknown(id);
        }
        Optional<UploadStates.Saved> saved = states.read(repository, id);
        Instant now = clock.instant();
        Loaded loaded;
        if (saved.isPresent()) {
            loaded = new Loaded(saved.get().state(), saved.get().version());
        } else {
            Instant opened = UploadId.openedAt(id, repository).filter(at -> !at.isAfter(now.plus(CLOCK_SKEW)))
                    .orElseThrow(() -> unknown(id));
            if (expiry.expired(opened, opened, now).isEmpty() && states.closed(repository, id).isPresent()) {
                throw unknown(id);
            }
            loaded = new Loaded(UploadState.opened(opened, UploadStates.encode(Sha256State.initial())), null);
        }
        UploadState state = loaded.state();
        if (state.cancelled() || state.committed()) {
            throw unknown(id);
        }
        if (state.isCommitting()) {
            return loaded;
        }
        Optional<String> expired = expiry.expired(state.startedAt(), state.updatedAt(), now);
        if (expired.isPresent()) {
            if (loaded.version() != null) {
                store.delete(StorePaths.upload(repository, id));
                events.expired(expired.get());
            }
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                    "upload " + id + " expired: " + expiry.describe(expired.get()) + "; start a new upload", id);
        }
        return loaded;
    }

    /** The upload's state names data the store no longer has (deleted meanwhile, or another layout's). */
    private RegistryException dataGone(RepositoryName repository, String id) {
        store.delete(StorePaths.upload(repository, id));
        return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                "the data of upload " + id + " is no longer in the store; start a new upload", id);
    }

    private static RegistryException unknown(String id) {
        return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + id + " is not in progress", id);
    }

    private record Loaded(UploadState state, String version) {
    }
}
