package dev.berth.ops;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.upload.PurgeReport;
import dev.berth.registry.upload.UploadEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * Upload and purge events as Micrometer meters; every name and tag is listed in docs/operations.md. Every
 * series whose tag values are known is registered at 0 on start, so an alert or a dashboard on it reads 0, not
 * "no data", before the first failure or expiry.
 */
@Component
class UploadMetrics implements UploadEvents {

    /** The codes an upload request can be refused with (what the upload service throws). */
    static final Set<ErrorCode> UPLOAD_FAILURES = EnumSet.of(ErrorCode.BLOB_UPLOAD_INVALID,
            ErrorCode.BLOB_UPLOAD_UNKNOWN, ErrorCode.DIGEST_INVALID, ErrorCode.RANGE_INVALID, ErrorCode.SIZE_INVALID,
            ErrorCode.TOOMANYREQUESTS);

    /** The timeouts an upload can pass, as the upload service names them. */
    static final List<String> EXPIRY_REASONS = List.of("idle", "max-age");

    private final MeterRegistry registry;
    private final Counter started;
    private final Counter completed;
    private final Counter cancelled;
    private final Counter bytesReceived;
    private final Timer uploadDuration;
    private final Timer chunkDuration;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong lastPurgeEpochSeconds = new AtomicLong();
    private final Counter purgeDeleted;
    private final Counter purgeReclaimed;
    private final Timer purgeDuration;

    UploadMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.started = Counter.builder("berth.uploads.started").description("uploads opened").register(registry);
        this.completed = Counter.builder("berth.uploads.completed").description("uploads committed as blobs")
                .register(registry);
        this.cancelled = Counter.builder("berth.uploads.cancelled").description("uploads cancelled by clients")
                .register(registry);
        this.bytesReceived = Counter.builder("berth.uploads.received").baseUnit("bytes")
                .description("blob bytes received in upload requests").register(registry);
        this.uploadDuration = Timer.builder("berth.uploads.duration")
                .description("time from an upload's start to its commit").register(registry);
        this.chunkDuration = Timer.builder("berth.uploads.chunk.duration")
                .description("time to receive and store one chunk").register(registry);
        Gauge.builder("berth.uploads.requests.active", inFlight, AtomicInteger::get)
                .description("upload requests this replica is serving now").register(registry);
        this.purgeDeleted = Counter.builder("berth.purge.uploads.deleted")
                .description("expired uploads deleted by the purge").register(registry);
        this.purgeReclaimed = Counter.builder("berth.purge.reclaimed").baseUnit("bytes")
                .description("upload data deleted by the purge").register(registry);
        this.purgeDuration = Timer.builder("berth.purge.duration").description("time of purge runs that ran")
                .register(registry);
        Gauge.builder("berth.purge.last.run", lastPurgeEpochSeconds, AtomicLong::get).baseUnit("seconds")
                .description("when this replica last ran the purge (Unix time), 0 before its first run")
                .register(registry);
        for (String outcome : new String[] {"ran", "skipped"}) {
            purgeRuns(outcome);
        }
        UPLOAD_FAILURES.forEach(this::failures);
        EXPIRY_REASONS.forEach(this::expiries);
    }

    @Override
    public void started() {
        started.increment();
    }

    @Override
    public void chunkReceived(long bytes, Duration duration) {
        bytesReceived.increment(bytes);
        chunkDuration.record(duration);
    }

    @Override
    public void completed(long size, Duration sinceStart) {
        completed.increment();
        uploadDuration.record(sinceStart);
    }

    @Override
    public void cancelled() {
        cancelled.increment();
    }

    @Override
    public void failed(ErrorCode code) {
        failures(code).increment();
    }

    @Override
    public void expired(String reason) {
        expiries(reason).increment();
    }

    @Override
    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    @Override
    public void requestFinished() {
        inFlight.decrementAndGet();
    }

    @Override
    public void purgeFinished(PurgeReport report) {
        purgeRuns(report.ran() ? "ran" : "skipped").increment();
        if (!report.ran()) {
            return;
        }
        lastPurgeEpochSeconds.set(report.startedAt().getEpochSecond());
        purgeDuration.record(report.duration());
        if (!report.dryRun()) {
            purgeDeleted.increment(report.deleted());
            purgeReclaimed.increment(report.bytesReclaimed());
        }
    }

    private Counter failures(ErrorCode code) {
        return Counter.builder("berth.uploads.failed").description("upload requests refused, by OCI error code")
                .tag("code", code.code()).register(registry);
    }

    private Counter expiries(String reason) {
        return Counter.builder("berth.uploads.expired").description("uploads that passed a timeout, by which one")
                .tag("reason", reason).register(registry);
    }

    private Counter purgeRuns(String outcome) {
        return Counter.builder("berth.purge.runs")
                .description("purge runs: ran, or skipped because another replica held the lock")
                .tag("outcome", outcome).register(registry);
    }
}
