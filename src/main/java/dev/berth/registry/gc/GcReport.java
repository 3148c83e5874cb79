package dev.berth.registry.gc;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The outcome of one garbage collection run.
 *
 * @param ran false when another replica held the collection's lease, so this one did nothing
 * @param dryRun true when nothing was deleted, only counted and listed
 * @param manifests manifest revisions walked (by the first mark)
 * @param blobsMarked blobs found live (by the first mark): manifests, configs, layers
 * @param candidates unreferenced blobs older than the grace time
 * @param deleted blobs deleted (or, in a dry run, that would have been)
 * @param bytesReclaimed data those blobs held
 * @param rescued candidates a push made live again during the run (found referenced by the second mark, or
 *     rescued by a writer before their claim), which were kept
 * @param tagsDeleted tags the retention policies deleted (or would have)
 * @param manifestsDeleted manifest revisions deleted as untagged, orphaned referrers or by retention (or that
 *     would have been)
 * @param pruned what those deletions were, each with the rule that chose it; at most {@link #LISTED} entries
 * @param storeBytes data of the blobs the run kept
 * @param repositories each repository's stored size, largest first; at most {@link #LISTED} entries
 */
public record GcReport(Instant startedAt, Duration duration, boolean ran, boolean dryRun, int manifests,
        int blobsMarked, int candidates, int deleted, long bytesReclaimed, int rescued, int tagsDeleted,
        int manifestsDeleted, List<Pruned> pruned, long storeBytes, List<RepositoryUsage> repositories) {

    /** The most entries a report lists of {@code pruned} and of {@code repositories}: it stays small. */
    public static final int LISTED = 1000;

    /** A tag or manifest revision a run deleted (or, in a dry run, would have), and why. */
    public record Pruned(String repository, String tag, String digest, String rule) {
    }

    /** The bytes of the distinct blobs one repository's manifests reference (each counted once). */
    public record RepositoryUsage(String repository, long bytes) {
    }

    static GcReport skipped(Instant at) {
        return new GcReport(at, Duration.ZERO, false, false, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), 0, List.of());
    }
}
