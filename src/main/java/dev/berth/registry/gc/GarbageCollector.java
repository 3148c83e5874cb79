package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StoreLease;
import dev.berth.registry.StorePaths;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionConflictException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Deletes blobs no manifest references, while every replica keeps serving pushes. One replica at a time runs
 * it (a lease in the store). A run marks what the manifests keep alive, condemns the other blobs older than
 * the grace time with a marker each, waits the settle time, marks again, and deletes only the candidates it
 * can claim with a conditional write on their marker: a writer that makes a blob live rescues it with the
 * same conditional write first ({@link BlobRescue}), so exactly one of the two wins. A run that dies leaves
 * markers the next run finishes (claimed ones) or clears (the rest); none blocks a push for long.
 */
@Service
public class GarbageCollector {

    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    /** Waits out the settle time; tests pass one that moves their clock instead. */
    interface Pause {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final StorageDriver store;
    private final BlobMarkers markers;
    private final StoredBlobs blobs;
    private final ManifestWalk walk;
    private final ManifestPruning pruning;
    private final LastGcReport lastReport;
    private final GcProperties properties;
    private final GcEvents events;
    private final Clock clock;
    private final StoreLease lock;
    private final GcSteps steps;
    private final Pause pause;

    @Autowired
    public GarbageCollector(StorageDriver store, RepositoryCatalog catalog, Documents documents, JsonMapper json,
            GcProperties properties, Optional<GcEvents> events, Optional<Clock> clock,
            Optional<CacheEviction> eviction) {
        this(store, catalog, documents, json, properties, events.orElse(GcEvents.NONE),
                clock.orElse(Clock.systemUTC()), GcSteps.NONE, duration -> Thread.sleep(duration.toMillis()),
                eviction.orElse(CacheEviction.NONE));
    }

    GarbageCollector(StorageDriver store, RepositoryCatalog catalog, Documents documents, JsonMapper json,
            GcProperties properties, GcEvents events, Clock clock, GcSteps steps, Pause pause) {
        this(store, catalog, documents, json, properties, events, clock, steps, pause, CacheEviction.NONE);
    }

    GarbageCollector(StorageDriver store, RepositoryCatalog catalog, Documents documents, JsonMapper json,
            GcProperties properties, GcEvents events, Clock clock, GcSteps steps, Pause pause,
            CacheEviction eviction) {
        this.store = store;
        this.markers = new BlobMarkers(store, json);
        this.blobs = new StoredBlobs(store);
        this.walk = new ManifestWalk(store, catalog, documents, json);
        this.pruning = new ManifestPruning(store, catalog, documents, json, properties, eviction, clock, steps);
        this.lastReport = new LastGcReport(store, documents, json);
        this.properties = properties;
        this.events = events;
        this.clock = clock;
        this.lock = new StoreLease(store, StorePaths.GC_LOCK, json, clock, UUID.randomUUID().toString());
        this.steps = steps;
        this.pause = pause;
    }

    /** One run now, unless another replica is running one; a dry run when {@code berth.gc.dry-run} says so. */
    public GcReport run() {
        return run(properties.dryRun());
    }

    /**
     * One run now, dry or not whatever {@code berth.gc.dry-run} says, unless another replica is running one. A
     * run that ran leaves its report in the store for every replica to answer ({@link LastGcReport}).
     */
    public GcReport run(boolean dryRun) {
        Instant start = clock.instant();
        Optional<String> lease = lock.tryAcquire(properties.lockTimeout());
        if (lease.isEmpty()) {
            GcReport skipped = GcReport.skipped(start);
            events.finished(skipped);
            return skipped;
        }
        Run run = new Run(lease.get(), dryRun);
        try {
            GcReport report = run.collect(start);
            log.info("garbage collection{} in {}: {} tags and {} manifests pruned, {} manifests, {} blobs live ({}"
                    + " bytes), {} candidates, {} deleted ({} bytes), {} rescued by pushes",
                    report.dryRun() ? " (dry run)" : "", report.duration(), report.tagsDeleted(),
                    report.manifestsDeleted(), report.manifests(), report.blobsMarked(), report.storeBytes(),
                    report.candidates(), report.deleted(), report.bytesReclaimed(), report.rescued());
            keepReport(report);
            events.finished(report);
            return report;
        } catch (RuntimeException e) {
            events.failed();
            throw e;
        } finally {
            run.fanout.close();
            lock.release(run.lease);
        }
    }

    /** Leaves the report for every replica; a store that refuses it costs the report, not the run. */
    private void keepReport(GcReport report) {
        try {
            lastReport.write(report);
        } catch (RuntimeException e) {
            log.warn("garbage collection: its report could not be stored at {}: {}", StorePaths.GC_LAST_REPORT,
                    e.getMessage());
        }
    }

    /** One run's steps, holding its id (written into its markers) and its lease. */
    private final class Run {

        private final String id = UUID.randomUUID().toString();
        private final boolean dryRun;
        private final StoreFanout fanout = new StoreFanout();
        private volatile String lease;
        private volatile Instant leaseRenewedAt = clock.instant();
        private final AtomicInteger deleted = new AtomicInteger();
        private final AtomicLong bytes = new AtomicLong();
        private ManifestPruning.Outcome pruned = ManifestPruning.Outcome.NONE;

        Run(String lease, boolean dryRun) {
            this.lease = lease;
            this.dryRun = dryRun;
        }

        GcReport collect(Instant start) {
            // Tags and manifests first, so that the mark below no longer sees what they kept alive.
            pruned = pruning.prune(dryRun, this::keepLease);
            LiveSet first = walk.mark();
            keepLease();
            if (!dryRun) {
                finishLeftovers(first);
            }
            Instant cutoff = clock.instant().minus(properties.grace());
            List<StoredBlobs.Stored> candidates = blobs.list(digest -> !first.isLive(digest)).stream()
                    .filter(blob -> blob.modifiedAt().isBefore(cutoff)).toList();
            if (dryRun) {
                candidates.forEach(blob -> log.debug("garbage collection (dry run) would delete {} ({} bytes)",
                        blob.digest(), blob.size()));
                long total = candidates.stream().mapToLong(StoredBlobs.Stored::size).sum();
                return report(start, first, candidates.size(), candidates.size(), total, 0);
            }
            if (candidates.isEmpty()) {
                return report(start, first, 0, 0, 0, 0); // nothing condemned, nothing to settle
            }
            Map<StoredBlobs.Stored, String> condemned = condemn(candidates);
            settle();
            LiveSet second = walk.mark();
            keepLease();
            Queue<Digest> rescued = new ConcurrentLinkedQueue<>();
            fanout.forEach(condemned.entrySet(), candidate -> {
                Digest digest = candidate.getKey().digest();
                if (second.isLive(digest)) {
                    rescued.add(digest); // referenced by a manifest pushed during the run
                } else if (claim(digest, candidate.getValue())) {
                    steps.claimed(digest);
                    sweep(digest, candidate.getKey().size(), links(digest, first, second));
                } else {
                    rescued.add(digest); // a writer rescued it and will reference it
                }
            });
            fanout.forEach(rescued, markers::delete);
            return report(start, first, candidates.size(), deleted.get(), bytes.get(), rescued.size());
        }

        /**
         * What a run that died left: blobs it claimed are deleted now (nobody can have relied on them since);
         * every other marker is cleared, and its blob judged again by this run.
         */
        private void finishLeftovers(LiveSet live) {
            fanout.forEach(markers.list(), digest -> {
                Optional<BlobMarkers.Found> found = markers.read(digest);
                if (found.isEmpty()) {
                    return;
                }
                if (found.get().marker().state() == BlobMarkers.State.DELETING && !live.isLive(digest)) {
                    long size = store.stat(StorePaths.blobData(digest)).map(info -> info.size()).orElse(0L);
                    log.info("garbage collection: finishing the deletion of {}, claimed by run {}", digest,
                            found.get().marker().runId());
                    sweep(digest, size, live.linking(digest));
                } else {
                    markers.delete(digest);
                }
            });
        }

        private Map<StoredBlobs.Stored, String> condemn(List<StoredBlobs.Stored> candidates) {
            Map<StoredBlobs.Stored, String> condemned = new ConcurrentHashMap<>();
            Instant now = clock.instant();
            fanout.forEach(candidates, blob -> {
                try {
                    condemned.put(blob, markers.create(blob.digest(),
                            new BlobMarkers.Marker(id, now, BlobMarkers.State.CONDEMNED)));
                } catch (VersionConflictException markedMeanwhile) {
                    // Only a run that lost its lease to this one writes markers: leave that blob to the next run.
                }
            });
            Set<Digest> digests = new HashSet<>();
            condemned.keySet().forEach(blob -> digests.add(blob.digest()));
            steps.condemned(digests);
            return condemned;
        }

        /** Waits the settle time, renewing the lease often enough that it outlives the wait. */
        private void settle() {
            Duration slice = properties.lockTimeout().dividedBy(3);
            Duration remaining = properties.settle();
            try {
                while (!remaining.isNegative() && !remaining.isZero()) {
                    Duration next = remaining.compareTo(slice) < 0 ? remaining : slice;
                    pause.sleep(next);
                    remaining = remaining.minus(next);
                    keepLease();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("garbage collection interrupted while settling", e);
            }
            steps.settled();
        }

        private boolean claim(Digest digest, String version) {
            keepLeaseFresh();
            steps.claiming(digest);
            return markers.replace(digest, new BlobMarkers.Marker(id, clock.instant(), BlobMarkers.State.DELETING),
                    version);
        }

        /** Deletes a claimed blob: its data, its repositories' links to it, then its marker. Repeatable. */
        private void sweep(Digest digest, long size, Set<RepositoryName> linking) {
            log.debug("garbage collection deletes {} ({} bytes) and its links in {}", digest, size, linking);
            store.delete(StorePaths.blob(digest));
            for (RepositoryName repository : linking) {
                store.delete(StorePaths.layer(repository, digest));
            }
            markers.delete(digest);
            deleted.incrementAndGet();
            bytes.addAndGet(size);
        }

        /** A lease that cannot be renewed was lost to another replica: this run must stop before it deletes. */
        private synchronized void keepLeaseFresh() {
            if (Duration.between(leaseRenewedAt, clock.instant()).compareTo(properties.lockTimeout().dividedBy(3)) > 0) {
                keepLease();
            }
        }

        private synchronized void keepLease() {
            lease = lock.renew(lease, properties.lockTimeout()).orElseThrow(() -> new IllegalStateException(
                    "garbage collection lost its lease " + StorePaths.GC_LOCK + "; stopping this run"));
            leaseRenewedAt = clock.instant();
        }

        private GcReport report(Instant start, LiveSet first, int candidates, int deletedBlobs, long reclaimed,
                int rescued) {
            return new GcReport(start, Duration.between(start, clock.instant()), true, dryRun,
                    first.manifests(), first.blobsMarked(), candidates, deletedBlobs, reclaimed, rescued,
                    pruned.tagsDeleted(), pruned.manifestsDeleted(), pruned.pruned(), first.storeBytes(),
                    first.usage());
        }
    }

    private static Set<RepositoryName> links(Digest digest, LiveSet first, LiveSet second) {
        Set<RepositoryName> linking = new HashSet<>(first.linking(digest));
        linking.addAll(second.linking(digest));
        return linking;
    }
}
