package dev.berth.ops;

import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcReport;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.stereotype.Component;

/**
 * {@code POST /actuator/garbagecollect} on the management port: run the garbage collection now (whether or not its
 * schedule is on) and see what it did. Answers when the run is over, which takes at least the settle time.
 */
@Component
@Endpoint(id = "garbagecollect")
public class GcEndpoint {

    private final GarbageCollector collector;

    GcEndpoint(GarbageCollector collector) {
        this.collector = collector;
    }

    @WriteOperation
    public GcReport collect() {
        return collector.run();
    }
}
