package dev.berth.registry.gc;

import java.time.Duration;
import java.time.Instant;

/**
 * The outcome of one garbage collection run.
 *
 * @param ran false when another replica held the collection's lease, so this one did nothing
 * @param dryRun true when blobs were only counted, not deleted
 * @param manifests manifest revisions walked (by the first mark)
 * @param blobsMarked blobs found live (by the first mark): manifests, configs, layers
 * @param candidates unreferenced blobs older than the grace time
 * @param deleted blobs deleted (or, in a dry run, that would have been)
 * @param bytesReclaimed data those blobs held
 * @param rescued candidates a push made live again during the run (found referenced by the second mark, or
 *     rescued by a writer before their claim), which were kept
 */
public record GcReport(Instant startedAt, Duration duration, boolean ran, boolean dryRun, int manifests,
        int blobsMarked, int candidates, int deleted, long bytesReclaimed, int rescued) {

    static GcReport skipped(Instant at) {
        return new GcReport(at, Duration.ZERO, false, false, 0, 0, 0, 0, 0, 0);
    }
}
