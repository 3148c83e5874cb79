package dev.berth.ops;

import dev.berth.registry.gc.GcEvents;
import dev.berth.registry.gc.GcReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * Garbage collection runs as Micrometer meters, listed in docs/operations.md; all registered at 0 on start,
 * so an alert on them reads 0, not "no data", before the first run.
 */
@Component
class GcMetrics implements GcEvents {

    /** How a run ended: it ran (dry or not), another replica held the lease, or it broke off. */
    static final List<String> OUTCOMES = List.of("ran", "skipped", "failed");

    private final MeterRegistry registry;
    private final Counter deleted;
    private final Counter reclaimed;
    private final AtomicLong lastRunEpochSeconds = new AtomicLong();

    GcMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.deleted = Counter.builder("berth.gc.blobs.deleted").description("blobs deleted by garbage collection")
                .register(registry);
        this.reclaimed = Counter.builder("berth.gc.bytes.reclaimed")
                .description("bytes of blob data deleted by garbage collection").register(registry);
        Gauge.builder("berth.gc.last.run", lastRunEpochSeconds, AtomicLong::get).baseUnit("seconds")
                .description("when this replica last ran garbage collection (Unix time), 0 before its first run")
                .register(registry);
        OUTCOMES.forEach(this::runs);
    }

    @Override
    public void finished(GcReport report) {
        runs(report.ran() ? "ran" : "skipped").increment();
        if (!report.ran()) {
            return;
        }
        lastRunEpochSeconds.set(report.startedAt().getEpochSecond());
        if (!report.dryRun()) {
            deleted.increment(report.deleted());
            reclaimed.increment(report.bytesReclaimed());
        }
    }

    @Override
    public void failed() {
        runs("failed").increment();
    }

    private Counter runs(String outcome) {
        return Counter.builder("berth.gc.runs")
                .description("garbage collection runs: ran, skipped because another replica held the lease, or failed")
                .tag("outcome", outcome).register(registry);
    }
}
