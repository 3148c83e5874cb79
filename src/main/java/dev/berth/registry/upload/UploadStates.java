package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.upload.digest.ResumableSha256;
import dev.berth.registry.upload.digest.Sha256State;
import dev.berth.storage.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The saved state of uploads, {@code _uploads/<id>/state.json} in the store: read with its version, and
 * replaced only by a conditional write naming the version read, so of two requests racing on one upload one
 * wins. The SHA-256 state is kept in Go's binary form, base64-encoded.
 */
@Component
class UploadStates {

    private final StorageDriver store;
    private final JsonMapper json;

    UploadStates(StorageDriver store, JsonMapper json) {
        this.store = store;
        this.json = json;
    }

    /** A state as read, with the version a conditional write must name (null: not in the store yet). */
    record Saved(UploadState state, String version) {
    }

    /** The upload's saved state; empty when there is none. Unreadable state is BLOB_UPLOAD_INVALID. */
    Optional<Saved> read(RepositoryName repository, String id) {
        return store.readVersioned(StorePaths.uploadState(repository, id)).map(stored -> {
            try {
                return new Saved(json.readValue(stored.content(), UploadState.class), stored.version());
            } catch (JacksonException e) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "the saved state of upload " + id
                        + " is unreadable; start a new upload");
            }
        });
    }

    /** The saved state as the purge sees it: empty when there is none or it is unreadable. */
    Optional<Saved> peek(RepositoryName repository, String id) {
        try {
            return read(repository, id);
        } catch (RegistryException unreadable) {
            return Optional.empty();
        }
    }

    /**
     * Replaces the state if the store still has {@code version} (null: only if it has none), and returns the
     * new version; throws VersionConflictException when another request got there first.
     */
    String publish(RepositoryName repository, String id, UploadState state, String version) {
        return store.writeIfVersion(StorePaths.uploadState(repository, id), json.writeValueAsBytes(state), version);
    }

    /**
     * Distribution's record of an upload's start, written before any of its data so that the purge (and
     * Distribution's tools) always see when a folder holding data was opened.
     */
    void recordStart(RepositoryName repository, String id, Instant openedAt) {
        store.writeBytes(StorePaths.uploadStartedAt(repository, id), DateTimeFormatter.ISO_INSTANT
                .format(openedAt.truncatedTo(ChronoUnit.SECONDS)).getBytes(StandardCharsets.UTF_8));
    }

    /** Leaves the marker of an upload that was committed or cancelled (its last state, for the record). */
    void markClosed(RepositoryName repository, String id, UploadState ended) {
        store.writeBytes(StorePaths.closedUpload(repository, id), json.writeValueAsBytes(ended));
    }

    /** The last state of an upload that was committed or cancelled, while its marker lasts. */
    Optional<UploadState> closed(RepositoryName repository, String id) {
        return store.readBytes(StorePaths.closedUpload(repository, id)).map(bytes -> {
            try {
                return json.readValue(bytes, UploadState.class);
            } catch (JacksonException e) {
                // A marker is a marker, whatever its content: the upload is over.
                return UploadState.opened(Instant.EPOCH, "").asCancelled(Instant.EPOCH);
            }
        });
    }

    /** The digest a begun commit is for (for a state of an earlier build, which did not record it: its hash). */
    static Digest committingAs(UploadState state) {
        return state.digest() != null ? Digest.parse(state.digest())
                : Digest.sha256(ResumableSha256.resume(decode(state.sha256State())).hexDigest());
    }

    static String encode(Sha256State state) {
        return Base64.getEncoder().encodeToString(state.toBinary());
    }

    static Sha256State decode(String encoded) {
        return Sha256State.fromBinary(Base64.getDecoder().decode(encoded));
    }
}
