package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.storage.StorageDriver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every writer that makes a blob live (a manifest push, an upload's commit, a mount) does before relying
 * on it: a blob the collector condemned is marked rescued, with a conditional write, so the collector's claim
 * of it fails. A writer does this right before it checks that the blob exists, and finishes its own write
 * within the collector's settle time, so a blob it relies on is either rescued or seen live by the
 * collector's second mark. Costs one read of the marker when there is none, which is almost always.
 */
@Component
public class BlobRescue {

    /** How long a commit waits for the collector to finish deleting a blob before it asks the client to retry. */
    static final Duration DELETION_WAIT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(100);

    private final BlobMarkers markers;
    private final Clock clock;
    private final Duration deletionWait;
    private final Duration settle;

    @Autowired
    public BlobRescue(StorageDriver store, JsonMapper json, Optional<Clock> clock, GcProperties gc) {
        this(store, json, clock.orElse(Clock.systemUTC()), gc.settle());
    }

    /** A writer's rescue as a replica whose collector settles for {@code settle} has it. */
    public BlobRescue(StorageDriver store, JsonMapper json, Clock clock, Duration settle) {
        this(store, json, clock, DELETION_WAIT, settle);
    }

    BlobRescue(StorageDriver store, JsonMapper json, Clock clock, Duration deletionWait, Duration settle) {
        this.markers = new BlobMarkers(store, json);
        this.clock = clock;
        this.deletionWait = deletionWait;
        this.settle = settle;
    }

    /** Opens a writer's window: call it before the writer's first rescue. */
    public Window open() {
        return new Window(clock.instant());
    }

    /**
     * The time from a writer's first rescue to the end of its write. Every replica measures durations at the
     * same rate, though their clocks may disagree: a window shorter than half the settle time closes before any
     * run's second mark that condemned a blob after the window opened (it waits the whole settle time first).
     */
    public final class Window {

        private final Instant opened;

        private Window(Instant opened) {
            this.opened = opened;
        }

        /** Whether a run may have condemned, re-marked and claimed a blob while this writer was inside. */
        public boolean outlivedHalfTheSettle() {
            return Duration.between(opened, clock.instant()).compareTo(settle.dividedBy(2)) >= 0;
        }
    }

    /**
     * Rescues the blob if the collector condemned it. True when the writer may rely on it (no marker, or
     * rescued now or before); false when the collector is deleting it, so the writer must treat it as absent.
     */
    public boolean rescue(Digest digest) {
        while (true) {
            Optional<BlobMarkers.Found> found = markers.read(digest);
            if (found.isEmpty()) {
                return true;
            }
            BlobMarkers.Marker marker = found.get().marker();
            switch (marker.state()) {
                case RESCUED:
                    return true;
                case DELETING:
                    return false;
                case CONDEMNED:
                    if (markers.replace(digest, marker.as(BlobMarkers.State.RESCUED, clock.instant()),
                            found.get().version())) {
                        return true;
                    }
                    // The collector claimed it or another writer rescued it meanwhile: read again.
                    break;
                default:
                    throw new IllegalStateException(marker.state().toString());
            }
        }
    }

    /**
     * Rescues the blob, or, while the collector is deleting it, waits until it is gone so the writer can
     * store it anew. A deletion that takes longer than the wait is answered {@code 503} with
     * {@code Retry-After}: the client's retry finds it done.
     */
    public void rescueOrAwaitDeletion(Digest digest) {
        long deadline = System.nanoTime() + deletionWait.toNanos();
        while (!rescue(digest)) {
            if (System.nanoTime() - deadline > 0) {
                throw new BlobBeingDeletedException(digest);
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BlobBeingDeletedException(digest);
            }
        }
    }

    /** A blob the collector is deleting, which a writer waited for in vain. */
    static final class BlobBeingDeletedException extends RegistryException {

        BlobBeingDeletedException(Digest digest) {
            super(ErrorCode.UNAVAILABLE, "blob " + digest + " is being garbage-collected; retry shortly",
                    digest.toString(), Map.of("Retry-After", "5"), null);
        }
    }
}
