package dev.berth.ops;

import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcProperties;
import org.springframework.stereotype.Component;

/**
 * Runs the garbage collection on every replica at {@code berth.gc.interval}, when {@code berth.gc.enabled}
 * (its lease lets one replica collect at a time).
 */
@Component
class GcScheduler extends StaggeredSchedule {

    private final GarbageCollector collector;

    GcScheduler(GarbageCollector collector, GcProperties properties) {
        super("garbage collection", "berth-gc", properties.enabled(), properties.interval());
        this.collector = collector;
    }

    @Override
    void runOnce() {
        collector.run();
    }
}
