package dev.berth.registry;

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
 * A lease in the store that lets one replica at a time do a piece of background work (the upload purge, the
 * garbage collection). Taken, renewed and released with conditional writes, so two replicas can never both
 * hold it; it lapses on its own if its holder dies.
 */
public final class StoreLease {

    private final StorageDriver store;
    private final String path;
    private final JsonMapper json;
    private final Clock clock;
    private final String owner;

    record Lease(String owner, Instant expiresAt) {
    }

    public StoreLease(StorageDriver store, String path, JsonMapper json, Clock clock, String owner) {
        this.store = store;
        this.path = path;
        this.json = json;
        this.clock = clock;
        this.owner = owner;
    }

    /** Takes the lease for {@code duration}; empty when another replica holds an unexpired one. */
    public Optional<String> tryAcquire(Duration duration) {
        Optional<VersionedObject> current = store.readVersioned(path);
        if (current.isPresent()) {
            Optional<Lease> lease = parse(current.get());
            if (lease.isPresent() && lease.get().expiresAt().isAfter(clock.instant())) {
                return Optional.empty();
            }
        }
        try {
            return Optional.of(store.writeIfVersion(path,
                    json.writeValueAsBytes(new Lease(owner, clock.instant().plus(duration))),
                    current.map(VersionedObject::version).orElse(null)));
        } catch (VersionConflictException e) {
            return Optional.empty();
        }
    }

    /**
     * Extends the lease held at {@code version} to {@code duration} from now; empty when it is no longer ours
     * (it lapsed and another replica took it), so the holder must stop.
     */
    public Optional<String> renew(String version, Duration duration) {
        try {
            return Optional.of(store.writeIfVersion(path,
                    json.writeValueAsBytes(new Lease(owner, clock.instant().plus(duration))), version));
        } catch (VersionConflictException e) {
            return Optional.empty();
        }
    }

    /** Gives the lease back early by letting it lapse, unless someone else took it meanwhile. */
    public void release(String version) {
        try {
            store.writeIfVersion(path, json.writeValueAsBytes(new Lease(owner, Instant.EPOCH)), version);
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
