package dev.berth.registry.upload;

import java.time.Duration;
import java.time.Instant;

/**
 * The outcome of one purge run.
 *
 * @param ran false when another replica held the purge lock, so this one did nothing
 * @param dryRun true when expired uploads were only counted, not deleted
 * @param scanned uploads looked at
 * @param deleted expired uploads deleted (or, in a dry run, that would have been)
 * @param bytesReclaimed data those uploads held
 * @param commitsFinished uploads whose commit had begun and been abandoned, finished by the purge
 */
public record PurgeReport(Instant startedAt, Duration duration, boolean ran, boolean dryRun, int scanned, int deleted,
        long bytesReclaimed, int commitsFinished) {

    static PurgeReport skipped(Instant at) {
        return new PurgeReport(at, Duration.ZERO, false, false, 0, 0, 0, 0);
    }
}
