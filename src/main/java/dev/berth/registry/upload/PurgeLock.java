package dev.berth.registry.upload;

import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A lease in the store that lets one replica at a time purge. Taken and released with conditional writes,
 * so two replicas can never both hold it; it lapses on its own if its holder dies.
 */
final class PurgeLock {

    static final String PATH = "berth/purge.lock";

    private final StorageDriver store;
    private final JsonMapper json;
    private final Clock clock;
    private final String owner;

    record Lease(String owner, Instant expiresAt) {
    }

    PurgeLock(StorageDriver store, JsonMapper json, Clock clock, String owner) {
        this.store = store;
        this.json = json;
        this.clock = clock;
        this.owner = owner;
    }

    /** Takes the lease for {@code duration}; empty when another replica holds an unexpired one. */
    Optional<String> tryAcquire(Duration duration) {
        Optional<VersionedObject> current = store.readVersioned(PATH);
        if (current.isPresent()) {
            Optional<Lease> lease = parse(current.get());
            if (lease.isPresent() && lease.get().expiresAt().isAfter(clock.instant())) {
                return Optional.empty();
            }
        }
        try {
            return Optional.of(store.writeIfVersion(PATH,
                    json.writeValueAsBytes(new Lease(owner, clock.instant().plus(duration))),
                    current.map(VersionedObject::version).orElse(null)));
        } catch (VersionConflictException e) {
            return Optional.empty();
        }
    }

    /** Gives the lease back early by letting it lapse, unless someone else took it meanwhile. */
    void release(String version) {
        try {
            store.writeIfVersion(PATH, json.writeValueAsBytes(new Lease(owner, Instant.EPOCH)), version);
        } catch (VersionConflictException e) {
            // Our lease ran out and another replica holds it now: nothing of ours to release.
        }
    }

    private Optional<Lease> parse(VersionedObject object) {
        try {
            return Optional.of(json.readValue(object.content(), Lease.class));
        } catch (JacksonException e) {
            return Optional.empty();
        }
    }
}
