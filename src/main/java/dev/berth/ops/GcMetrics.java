package dev.berth.ops;

import dev.berth.registry.gc.GcEvents;
import dev.berth.registry.gc.GcProperties;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.LastGcReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Garbage collection runs as Micrometer meters, listed in docs/operations.md; all registered at 0 on start,
 * so an alert on them reads 0, not "no data", before the first run. The counters count this replica's runs;
 * the gauges show the cluster's last run (its report in the store, whichever replica ran it), so every
 * replica shows the same figures. A scrape reads that report at most once a {@link #REFRESH}; this replica's
 * own runs update the gauges at once.
 */
@Component
class GcMetrics implements GcEvents {

    /** How a run ended: it ran (dry or not), another replica held the lease, or it broke off. */
    static final List<String> OUTCOMES = List.of("ran", "skipped", "failed");
    /** How old the gauges' report may get before a scrape reads it again: one store read a minute at most. */
    static final Duration REFRESH = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(GcMetrics.class);

    private final MeterRegistry registry;
    private final LastGcReport lastReport;
    private final Clock clock;
    private final Counter deleted;
    private final Counter reclaimed;
    private final Counter manifestsDeleted;
    private final Counter tagsDeleted;
    private GcReport last;
    private Instant lastReadAt;

    @Autowired
    GcMetrics(MeterRegistry registry, LastGcReport lastReport, GcProperties properties, Optional<Clock> clock) {
        this(registry, lastReport, properties, clock.orElse(Clock.systemUTC()));
    }

    GcMetrics(MeterRegistry registry, LastGcReport lastReport, GcProperties properties, Clock clock) {
        this.registry = registry;
        this.lastReport = lastReport;
        this.clock = clock;
        this.deleted = Counter.builder("berth.gc.blobs.deleted").description("blobs deleted by garbage collection")
                .register(registry);
        this.reclaimed = Counter.builder("berth.gc.bytes.reclaimed")
                .description("bytes of blob data deleted by garbage collection").register(registry);
        this.manifestsDeleted = Counter.builder("berth.gc.manifests.deleted")
                .description("manifest revisions deleted by garbage collection").register(registry);
        this.tagsDeleted = Counter.builder("berth.gc.tags.deleted")
                .description("tags deleted by garbage collection").register(registry);
        OUTCOMES.forEach(this::runs);
        lastRunGauge("berth.gc.last.run", "seconds",
                "when the cluster's last garbage collection run started (Unix time), 0 before the first",
                report -> report.startedAt().getEpochSecond());
        lastRunGauge("berth.gc.duration", "seconds", "how long the cluster's last garbage collection run took",
                report -> report.duration().toMillis() / 1000.0);
        lastRunGauge("berth.gc.store", "bytes", "data of the blobs the cluster's last garbage collection run kept",
                GcReport::storeBytes);
        long interval = properties.enabled() ? properties.interval().toSeconds() : 0;
        Gauge.builder("berth.gc.interval", () -> interval).baseUnit("seconds")
                .description("this replica's garbage collection schedule (berth.gc.interval), 0 when it is off")
                .register(registry);
    }

    @Override
    public void finished(GcReport report) {
        runs(report.ran() ? "ran" : "skipped").increment();
        if (!report.ran()) {
            return;
        }
        synchronized (this) {
            last = report;
            lastReadAt = clock.instant();
        }
        if (!report.dryRun()) {
            deleted.increment(report.deleted());
            reclaimed.increment(report.bytesReclaimed());
            manifestsDeleted.increment(report.manifestsDeleted());
            tagsDeleted.increment(report.tagsDeleted());
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

    private void lastRunGauge(String name, String unit, String description, ToDoubleFunction<GcReport> value) {
        Gauge.builder(name, this, metrics -> metrics.last().map(value::applyAsDouble).orElse(0.0)).baseUnit(unit)
                .description(description).register(registry);
    }

    /** The cluster's last report, read again when older than {@link #REFRESH}; empty before the first run. */
    private synchronized Optional<GcReport> last() {
        Instant now = clock.instant();
        if (lastReadAt == null || !now.isBefore(lastReadAt.plus(REFRESH))) {
            lastReadAt = now; // a failed read too waits a minute before the next
            try {
                lastReport.read().ifPresent(report -> last = report);
            } catch (RuntimeException e) {
                log.warn("garbage collection metrics: the last report could not be read: {}", e.getMessage());
            }
        }
        return Optional.ofNullable(last);
    }
}
