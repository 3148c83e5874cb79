package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.upload.digest.Sha256State;
import dev.berth.storage.StorageDriver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Finds an upload in progress, as each request of it must first: its saved state and version, or, for an
 * upload Berth opened that has no data yet, the state of an empty one opened at the time its id names. An
 * open upload past its timeout ({@link UploadExpiry}) is deleted and unknown; a committing one is found
 * whatever its age, so that its commit can be finished.
 */
@Component
class OpenUploads {

    /** An id may name a time this far ahead of this replica's clock (another replica's clock may run ahead). */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    private final StorageDriver store;
    private final UploadStates states;
    private final UploadExpiry expiry;
    private final UploadEvents events;
    private final Clock clock;

    OpenUploads(StorageDriver store, UploadStates states, UploadProperties properties, Optional<UploadEvents> events,
            Optional<Clock> clock) {
        this.store = store;
        this.states = states;
        this.expiry = new UploadExpiry(properties);
        this.events = events.orElse(UploadEvents.NONE);
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /**
     * The upload's state and its version, open or committing (version null: no state in the store yet).
     * Throws BLOB_UPLOAD_UNKNOWN for an id that names no upload in progress, or one that expired.
     */
    UploadStates.Saved load(RepositoryName repository, String id) {
        if (!UploadId.isWellFormed(id)) {
            throw unknown(id);
        }
        Optional<UploadStates.Saved> saved = states.read(repository, id);
        Instant now = clock.instant();
        UploadStates.Saved loaded;
        if (saved.isPresent()) {
            loaded = saved.get();
        } else {
            Instant opened = openedAt(repository, id, now).orElseThrow(() -> unknown(id));
            if (isLive(opened, now) && states.closed(repository, id).isPresent()) {
                throw unknown(id);
            }
            loaded = new UploadStates.Saved(UploadState.opened(opened, UploadStates.encode(Sha256State.initial())),
                    null);
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

    /** Where the upload stands; for one whose commit has begun, also the digest it is being committed as. */
    UploadStatus status(RepositoryName repository, String id) {
        UploadState state = load(repository, id).state();
        return new UploadStatus(repository, id, state.size(),
                state.isCommitting() ? UploadStates.committingAs(state) : null);
    }

    /**
     * Whether {@code id} names an upload Berth opened in {@code repository} that is not too old to be in
     * progress: one that may have no state in the store because it has received no data yet.
     */
    boolean mayBeOpenWithoutState(RepositoryName repository, String id) {
        Instant now = clock.instant();
        return openedAt(repository, id, now).filter(opened -> isLive(opened, now)).isPresent();
    }

    /** When the id says its upload was opened, unless that is later than any replica's clock can be. */
    private static Optional<Instant> openedAt(RepositoryName repository, String id, Instant now) {
        return UploadId.openedAt(id, repository).filter(at -> !at.isAfter(now.plus(CLOCK_SKEW)));
    }

    /** An upload opened then, and idle since, has not expired. */
    private boolean isLive(Instant opened, Instant now) {
        return expiry.expired(opened, opened, now).isEmpty();
    }

    static RegistryException unknown(String id) {
        return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + id + " is not in progress", id);
    }
}
