package dev.berth.ops;

import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.LastGcReport;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/garbagecollect} on the management port. {@code GET}: the report of the cluster's last run,
 * whichever replica ran it (one read of the store), or {@code 404} with no body before the first run.
 * {@code POST}: run the garbage collection now (whether or not its schedule is on) and see what it did, dry
 * when {@code berth.gc.dry-run} says so; {@code POST .../garbagecollect/dry-run}: a dry run whatever it says.
 * Both answer when the run is over, which takes at least the settle time. The dry run is a path, not a body,
 * so that a bare {@code curl -X POST} works.
 */
@Component
@Endpoint(id = "garbagecollect")
public class GcEndpoint {

    static final String DRY_RUN = "dry-run";

    private final GarbageCollector collector;
    private final LastGcReport lastReport;

    GcEndpoint(GarbageCollector collector, LastGcReport lastReport) {
        this.collector = collector;
        this.lastReport = lastReport;
    }

    /** Null (Actuator answers {@code 404}) before any replica ran one. */
    @ReadOperation
    public @Nullable GcReport last() {
        return lastReport.read().orElse(null);
    }

    @WriteOperation
    public GcReport collect() {
        return collector.run();
    }

    /** {@code mode}: only {@value #DRY_RUN}; anything else is answered {@code 400}. */
    @WriteOperation
    public GcReport collect(@Selector String mode) {
        if (!DRY_RUN.equals(mode)) {
            throw new InvalidEndpointRequestException("unknown mode '" + mode + "'; POST .../garbagecollect or"
                    + " .../garbagecollect/" + DRY_RUN, "unknown mode");
        }
        return collector.run(true);
    }
}
