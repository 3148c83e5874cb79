package dev.berth.registry.gc;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.berth.registry.Digest;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The collector's markers in the store, {@code berth/gc/condemned/sha256/<hex>}: one per blob a run means to
 * delete. Every change after the first write is a conditional write naming the version read, so the collector
 * claiming a blob and a writer rescuing it can never both win.
 */
final class BlobMarkers {

    /** Where a condemned blob stands. */
    enum State {
        /** The collector means to delete it once the settle time has passed. */
        @JsonProperty("condemned") CONDEMNED,
        /** A writer made it live again: the collector leaves it. */
        @JsonProperty("rescued") RESCUED,
        /** The collector claimed it and is deleting it; nobody may rely on it any more. */
        @JsonProperty("deleting") DELETING
    }

    /** A marker's content: which run wrote it, when, and where the blob stands. */
    record Marker(String runId, Instant at, State state) {

        Marker as(State next, Instant now) {
            return new Marker(runId, now, next);
        }
    }

    /** A marker as read, with the version a conditional write must name. */
    record Found(Marker marker, String version) {
    }

    private final StorageDriver store;
    private final JsonMapper json;

    BlobMarkers(StorageDriver store, JsonMapper json) {
        this.store = store;
        this.json = json;
    }

    /**
     * The blob's marker, or empty when it has none. One that does not parse (written by a newer Berth, or
     * damaged) reads as condemned by an unknown run, which anyone may rescue and the next run clears.
     */
    Optional<Found> read(Digest digest) {
        return store.readVersioned(StorePaths.condemned(digest)).map(this::parse);
    }

    /** Writes a new marker; throws {@link VersionConflictException} when the blob has one already. */
    String create(Digest digest, Marker marker) {
        return store.writeIfVersion(StorePaths.condemned(digest), json.writeValueAsBytes(marker), null);
    }

    /** Replaces the marker read at {@code version}; false when it changed or went since. */
    boolean replace(Digest digest, Marker marker, String version) {
        try {
            store.writeIfVersion(StorePaths.condemned(digest), json.writeValueAsBytes(marker), version);
            return true;
        } catch (VersionConflictException e) {
            return false;
        }
    }

    void delete(Digest digest) {
        store.delete(StorePaths.condemned(digest));
    }

    /** The digests of every blob with a marker. */
    List<Digest> list() {
        List<Digest> digests = new ArrayList<>();
        String folder = StorePaths.CONDEMNED + "/sha256";
        for (String hex : store.list(folder)) {
            StoredBlobs.digestOf(hex).ifPresent(digests::add);
        }
        return digests;
    }

    private Found parse(VersionedObject object) {
        try {
            Marker marker = json.readValue(object.content(), Marker.class);
            if (marker.state() != null) {
                return new Found(marker, object.version());
            }
        } catch (JacksonException unreadable) {
            // read as condemned below
        }
        return new Found(new Marker("unknown", Instant.EPOCH, State.CONDEMNED), object.version());
    }
}
