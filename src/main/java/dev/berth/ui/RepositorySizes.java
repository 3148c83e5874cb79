package dev.berth.ui;

import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.LastGcReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Each repository's stored size as the cluster's last garbage collection measured it (its report lists the
 * {@link GcReport#LISTED} largest), for the repository list. The report is read from the store at most once
 * a {@link #REFRESH}, whatever the number of pages or rows shown; a read that fails or finds no report waits
 * as long before the next.
 */
@Component
@UiEnabled
class RepositorySizes {

    /** How old the sizes may get before a page reads the report again. */
    static final Duration REFRESH = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(RepositorySizes.class);

    /** The sizes of one report, and when the run that measured them started. */
    record Measured(Instant at, Map<String, Long> bytes) {

        static final Measured NONE = new Measured(null, Map.of());

        Optional<Long> of(String repository) {
            return Optional.ofNullable(bytes.get(repository));
        }
    }

    private final LastGcReport lastReport;
    private final Clock clock;
    private Measured measured = Measured.NONE;
    private Instant readAt;

    @Autowired
    RepositorySizes(LastGcReport lastReport, Optional<Clock> clock) {
        this(lastReport, clock.orElse(Clock.systemUTC()));
    }

    RepositorySizes(LastGcReport lastReport, Clock clock) {
        this.lastReport = lastReport;
        this.clock = clock;
    }

    /** The sizes of the last report, read again when older than {@link #REFRESH}; none before the first run. */
    synchronized Measured current() {
        Instant now = clock.instant();
        if (readAt == null || !now.isBefore(readAt.plus(REFRESH))) {
            readAt = now;
            try {
                lastReport.read().ifPresent(report -> measured = measured(report));
            } catch (RuntimeException e) {
                log.warn("web UI: the last garbage collection report could not be read for repository sizes: {}",
                        e.getMessage());
            }
        }
        return measured;
    }

    private static Measured measured(GcReport report) {
        Map<String, Long> bytes = new HashMap<>();
        if (report.repositories() != null) {
            report.repositories().stream().limit(GcReport.LISTED)
                    .forEach(usage -> bytes.put(usage.repository(), usage.bytes()));
        }
        return new Measured(report.startedAt(), Map.copyOf(bytes));
    }
}
