package dev.berth.ops;

import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.LastGcReport;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/garbagecollect} on the management port. {@code GET}: the report of the cluster's last run,
 * whichever replica ran it (one read of the store), or {@code 404} with no body before the first run.
 * {@code POST} (with {@code Content-Type: application/json}, since the operation takes a body): run the
 * garbage collection now (whether or not its schedule is on) and see what it did; a body
 * {@code {"dryRun": true}} makes it a dry run whatever {@code berth.gc.dry-run} says. Answers when the run is
 * over, which takes at least the settle time.
 */
@Component
@Endpoint(id = "garbagecollect")
public class GcEndpoint {

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

    /** {@code dryRun}: absent for {@code berth.gc.dry-run}'s choice. */
    @WriteOperation
    public GcReport collect(@Nullable Boolean dryRun) {
        return dryRun == null ? collector.run() : collector.run(dryRun);
    }
}
