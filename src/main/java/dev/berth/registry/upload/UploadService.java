package dev.berth.registry.upload;

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
import dev.berth.storage.VersionedObject;
import jakarta.annotation.PreDestroy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Blob uploads whose whole state lives in the store, so each request of one upload may reach a different
 * replica. Every request that carries data writes it as a new part and then publishes the new state with
 * a conditional write: of two racing requests one wins, the other's part is discarded and its client is
 * told where the upload stands. A replica dying mid-request leaves the last published state intact.
 */
@Service
public class UploadService {

    private static final Pattern UPLOAD_ID = Pattern.compile("[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}");

    private final StorageDriver store;
    private final BlobService blobs;
    private final JsonMapper json;
    private final Clock clock;
    private final UploadExpiry expiry;
    private final UploadEvents events;
    private final ExecutorService writers = Executors.newCachedThreadPool(new WriterThreads());
    private final HashingPipe pipe = new HashingPipe(writers);

    public UploadService(StorageDriver store, BlobService blobs, JsonMapper json, UploadProperties properties,
            Optional<UploadEvents> events, Optional<Clock> clock) {
        this.store = store;
        this.blobs = blobs;
        this.json = json;
        this.expiry = new UploadExpiry(properties);
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    @PreDestroy
    void stop() {
        writers.shutdownNow();
    }

    public UploadStatus start(RepositoryName repository) {
        String id = UUID.randomUUID().toString();
        Instant now = clock.instant();
        // Distribution's record of the start, kept so its tools (and operators) read Berth's uploads too.
        store.writeBytes(StorePaths.uploadStartedAt(repository, id),
                DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS)).getBytes(StandardCharsets.UTF_8));
        UploadState state = new UploadState(now, now, 0, encode(Sha256State.initial()), List.of(), false);
        store.writeIfVersion(StorePaths.uploadState(repository, id), json.writeValueAsBytes(state), null);
        events.started();
        return new UploadStatus(repository, id, 0);
    }

    public UploadStatus status(RepositoryName repository, String id) {
        return observed(() -> new UploadStatus(repository, id, load(repository, id).state().size()));
    }

    /**
     * Streams one chunk into the upload. {@code range} (optional) must start where the upload stands;
     * {@code declaredLength} is the request's Content-Length, or -1 when it sent none.
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
        ResumableSha256 hash = ResumableSha256.resume(decode(state.sha256State()));
        // A piece that ends up unused (short body, lost race) stays behind until the upload is deleted.
        HashingPipe.Result<Piece> written;
        try {
            written = pipe.transfer(body, hash,
                    content -> store.writePiece(StorePaths.uploadData(repository, id), content));
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
        UploadState grown = state.withPart(new UploadState.Part(piece.handle(), received), encode(hash.state()),
                clock.instant());
        try {
            store.writeIfVersion(StorePaths.uploadState(repository, id), json.writeValueAsBytes(grown),
                    loaded.version());
        } catch (VersionConflictException e) {
            UploadStatus now = status(repository, id);
            throw new UploadOutOfOrderException(now,
                    "another request changed this upload at the same time; resume from byte " + now.size());
        }
        events.chunkReceived(received, Duration.between(chunkStart, clock.instant()));
        return new UploadStatus(repository, id, grown.size());
    }

    /**
     * Finishes the upload: an optional last chunk, then the digest checked against the saved hash state
     * (no data is read back), then the parts joined into the blob's place in the store.
     */
    public BlobInfo complete(RepositoryName repository, String id, Digest digest, InputStream lastChunk,
            long declaredLength) {
        return observed(() -> commit(repository, id, digest, lastChunk, declaredLength));
    }

    private BlobInfo commit(RepositoryName repository, String id, Digest digest, InputStream lastChunk,
            long declaredLength) {
        if (declaredLength != 0) {
            appendChunk(repository, id, lastChunk, null, declaredLength);
        }
        Loaded loaded = load(repository, id);
        UploadState state = loaded.state();
        String actual = ResumableSha256.resume(decode(state.sha256State())).hexDigest();
        if (!actual.equals(digest.hex())) {
            store.delete(StorePaths.upload(repository, id));
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the uploaded content has digest sha256:" + actual
                    + " but the client named " + digest + "; the upload was discarded", digest.toString());
        }
        try {
            store.writeIfVersion(StorePaths.uploadState(repository, id), json.writeValueAsBytes(state.asCompleted()),
                    loaded.version());
        } catch (VersionConflictException e) {
            UploadStatus now = status(repository, id);
            throw new UploadOutOfOrderException(now, "another request changed this upload while it was being"
                    + " completed; it now has " + now.size() + " bytes");
        }
        if (blobs.findStored(digest).isEmpty()) {
            List<String> pieces = state.parts().stream().map(UploadState.Part::handle).toList();
            if (pieces.isEmpty()) {
                store.writeBytes(StorePaths.blobData(digest), new byte[0]);
            } else {
                try {
                    store.composePieces(StorePaths.uploadData(repository, id), pieces, StorePaths.blobData(digest));
                } catch (ObjectNotFoundException e) {
                    throw dataGone(repository, id);
                }
            }
        }
        blobs.link(repository, digest);
        store.delete(StorePaths.upload(repository, id));
        events.completed(state.size(), Duration.between(state.startedAt(), clock.instant()));
        return new BlobInfo(digest, state.size());
    }

    /** A whole blob in one request ({@code POST ?digest=}). */
    public BlobInfo uploadWhole(RepositoryName repository, Digest digest, InputStream body, long declaredLength) {
        UploadStatus upload = start(repository);
        try {
            return complete(repository, upload.id(), digest, body, declaredLength);
        } catch (RuntimeException e) {
            store.delete(StorePaths.upload(repository, upload.id()));
            throw e;
        }
    }

    public void cancel(RepositoryName repository, String id) {
        observed(() -> {
            load(repository, id);
            store.delete(StorePaths.upload(repository, id));
            events.cancelled();
            return null;
        });
    }

    /**
     * The saved state of an upload as the purge sees it: empty when there is none or it is unreadable.
     * Never expires anything itself.
     */
    Optional<UploadState> peek(RepositoryName repository, String id) {
        return store.readVersioned(StorePaths.uploadState(repository, id)).flatMap(stored -> {
            try {
                return Optional.of(json.readValue(stored.content(), UploadState.class));
            } catch (JacksonException e) {
                return Optional.empty();
            }
        });
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

    private Loaded load(RepositoryName repository, String id) {
        if (!UPLOAD_ID.matcher(id).matches()) {
            throw unknown(id);
        }
        VersionedObject stored = store.readVersioned(StorePaths.uploadState(repository, id))
                .orElseThrow(() -> unknown(id));
        UploadState state;
        try {
            state = json.readValue(stored.content(), UploadState.class);
        } catch (JacksonException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the saved state of upload " + id
                    + " is unreadable; start a new upload");
        }
        if (state.completed()) {
            throw unknown(id);
        }
        Optional<String> expired = expiry.expired(state.startedAt(), state.updatedAt(), clock.instant());
        if (expired.isPresent()) {
            store.delete(StorePaths.upload(repository, id));
            events.expired(expired.get());
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                    "upload " + id + " expired: " + expiry.describe(expired.get()) + "; start a new upload", id);
        }
        return new Loaded(state, stored.version());
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

    private static String encode(Sha256State state) {
        return Base64.getEncoder().encodeToString(state.toBinary());
    }

    private static Sha256State decode(String encoded) {
        return Sha256State.fromBinary(Base64.getDecoder().decode(encoded));
    }

    /** Daemon threads that write chunk bodies into the store while request threads hash them. */
    private static final class WriterThreads implements ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, "berth-upload-writer-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }

    private record Loaded(UploadState state, String version) {
    }
}
