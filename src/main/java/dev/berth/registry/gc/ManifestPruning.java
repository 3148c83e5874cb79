package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.ManifestRevisions;
import dev.berth.registry.ManifestRevisions.Outline;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.storage.ObjectInfo;
import dev.berth.storage.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The first step of a garbage collection run: in each repository, deletes the tags its retention policy does
 * not keep, then the manifest revisions no remaining tag reaches ({@code berth.gc.delete-untagged}), then the
 * referrers whose subject is gone ({@code berth.gc.delete-orphaned-referrers}). Before those, in the repositories
 * of the pull-through cache that evict, it deletes the tags and manifests nobody pulled for a while
 * ({@link CacheEviction}); a later pull fetches them again from the upstream. The blobs of what it deletes
 * are then collected by the same run's mark and sweep, when older than the grace time, or by a later run.
 *
 * <p>Decisions are made from a listing taken at the start of each repository, while pushes go on; each
 * deletion checks again, right before it, that the listing still holds: a tag is deleted only if its current
 * link still names the manifest decided on and was not written since; a revision only if its link is still
 * older than the age (every push of a manifest, by tag or digest, rewrites it). What remains is the time
 * between that check and the deletion, one store request: a push whose write lands exactly there loses its
 * tag or revision although it was answered 201. The store has no conditional delete to close it, and pushes
 * write unconditionally; the client's next push restores what it lost.
 *
 * <p>A dry run decides the same way and deletes nothing: a later run on an unchanged store deletes exactly
 * what it listed.
 */
final class ManifestPruning {

    private static final Logger log = LoggerFactory.getLogger(ManifestPruning.class);

    static final String UNTAGGED = "untagged";
    static final String ORPHANED_REFERRER = "orphaned-referrer";

    /** What one pruning deleted (or, dry, would have). */
    record Outcome(int tagsDeleted, int manifestsDeleted, List<GcReport.Pruned> pruned) {

        static final Outcome NONE = new Outcome(0, 0, List.of());
    }

    private final StorageDriver store;
    private final RepositoryCatalog catalog;
    private final ManifestRevisions revisions;
    private final GcProperties properties;
    private final CacheEviction eviction;
    private final TagRetention retention;
    private final Clock clock;
    private final GcSteps steps;

    ManifestPruning(StorageDriver store, RepositoryCatalog catalog, Documents documents, JsonMapper json,
            GcProperties properties, CacheEviction eviction, Clock clock, GcSteps steps) {
        this.store = store;
        this.catalog = catalog;
        this.revisions = new ManifestRevisions(store, documents, json);
        this.properties = properties;
        this.eviction = eviction;
        this.retention = new TagRetention(properties.retention());
        this.clock = clock;
        this.steps = steps;
    }

    /**
     * Prunes every repository, or only lists what it would when {@code dryRun}; {@code betweenRepositories}
     * runs before each (the run renews its lease).
     */
    Outcome prune(boolean dryRun, Runnable betweenRepositories) {
        if (!properties.prunes() && !eviction.any()) {
            return Outcome.NONE;
        }
        Tally tally = new Tally(dryRun);
        for (String name : catalog.names()) {
            betweenRepositories.run();
            prune(new RepositoryName(name), tally);
        }
        return new Outcome(tally.tags, tally.manifests, List.copyOf(tally.pruned));
    }

    private void prune(RepositoryName repository, Tally tally) {
        eviction.evictAfter(repository).ifPresent(evictAfter -> evict(repository, evictAfter, tally));
        Optional<TagRetention.Policy> policy = retention.governing(repository.value());
        boolean manifests = properties.deleteUntagged().enabled() || properties.deleteOrphanedReferrers();
        if (policy.isEmpty() && !manifests) {
            return;
        }
        List<TagLink> tags = tags(repository);
        Set<Digest> tagged = new HashSet<>();
        tags.forEach(tag -> tagged.add(tag.digest()));
        if (policy.isPresent()) {
            Set<String> deleted = new HashSet<>();
            for (TagLink tag : TagRetention.unkept(policy.get(), tags, clock.instant())) {
                if (deleteTag(repository, tag, tally.dryRun, () -> true)) {
                    deleted.add(tag.tag());
                    tally.add(repository, tag.tag(), tag.digest(), policy.get().describe(), true);
                }
            }
            tagged.clear();
            tags.stream().filter(tag -> !deleted.contains(tag.tag())).forEach(tag -> tagged.add(tag.digest()));
        }
        if (!manifests) {
            return;
        }
        Map<Digest, Outline> outlines = outlines(repository);
        Set<Digest> reached = UntaggedManifests.reached(tagged, outlines);
        Set<Digest> gone = new HashSet<>();
        if (properties.deleteUntagged().enabled()) {
            for (Digest manifest : outlines.keySet()) {
                if (!reached.contains(manifest)
                        && deleteRevision(repository, manifest, properties.deleteUntagged().age(), UNTAGGED, tally)) {
                    gone.add(manifest);
                }
            }
        }
        if (properties.deleteOrphanedReferrers()) {
            for (Map.Entry<Digest, Outline> revision : outlines.entrySet()) {
                Digest manifest = revision.getKey();
                Optional<Digest> subject = revision.getValue().subject();
                if (subject.isEmpty() || reached.contains(manifest) || gone.contains(manifest)
                        || outlines.containsKey(subject.get()) && !gone.contains(subject.get())) {
                    continue;
                }
                // A referrer may be pushed before its subject: one pushed since the listing saves it.
                if (store.stat(StorePaths.manifestRevisionLink(repository, subject.get())).isPresent()
                        && !gone.contains(subject.get())) {
                    continue;
                }
                if (deleteRevision(repository, manifest, properties.grace(), ORPHANED_REFERRER, tally)) {
                    gone.add(manifest);
                }
            }
        }
    }

    /**
     * Evicts from a cached repository the tags and manifests nobody pulled for {@code evictAfter}. A manifest
     * stays when it was stored or pulled (by tag or digest) within that time, and so does everything it
     * reaches (an index's platform images, its referrers) and every tag naming what stays. A pull is recorded
     * hourly at most, so an hour is added; the time is never shorter than the grace time. Each deletion checks
     * again right before it that the tag or manifest is still unpulled and unchanged, as the other prunings do;
     * a pull that lands after that check is served, and the next pull fetches the content again.
     */
    private void evict(RepositoryName repository, Duration evictAfter, Tally tally) {
        Duration age = evictAfter.plus(CacheEviction.RECORDED_EVERY);
        Instant cutoff = clock.instant().minus(age.compareTo(properties.grace()) < 0 ? properties.grace() : age);
        String rule = "evicted: not pulled for " + RetentionPolicy.format(evictAfter);
        List<TagLink> tags = tags(repository);
        Map<Digest, Outline> outlines = outlines(repository);
        Set<Digest> used = new HashSet<>();
        for (Digest manifest : outlines.keySet()) {
            if (!unusedSince(repository, manifest, cutoff)) {
                used.add(manifest);
            }
        }
        tags.stream().filter(tag -> !tag.pushedAt().isBefore(cutoff)).forEach(tag -> used.add(tag.digest()));
        Set<Digest> kept = UntaggedManifests.reached(used, outlines);
        for (TagLink tag : tags) {
            if (!kept.contains(tag.digest())
                    && deleteTag(repository, tag, tally.dryRun, () -> unusedSince(repository, tag.digest(), cutoff))) {
                if (!tally.dryRun) {
                    eviction.forgetTag(repository, tag.tag());
                }
                tally.add(repository, tag.tag(), tag.digest(), rule, true);
            }
        }
        for (Digest manifest : outlines.keySet()) {
            if (kept.contains(manifest)) {
                continue;
            }
            steps.pruning(repository, manifest);
            if (store.stat(StorePaths.manifestRevisionLink(repository, manifest)).isPresent()
                    && unusedSince(repository, manifest, cutoff)) {
                if (!tally.dryRun) {
                    eviction.forgetManifest(repository, manifest); // first: a record left alone would keep nothing
                    revisions.delete(repository, manifest);
                }
                tally.add(repository, null, manifest, rule, false);
            }
        }
    }

    /** Whether the manifest was neither stored (its revision link written) nor pulled since {@code cutoff}. */
    private boolean unusedSince(RepositoryName repository, Digest manifest, Instant cutoff) {
        Optional<ObjectInfo> link = store.stat(StorePaths.manifestRevisionLink(repository, manifest));
        if (link.isPresent() && !link.get().modifiedAt().isBefore(cutoff)) {
            return false;
        }
        Optional<Instant> pulled = eviction.lastPulled(repository, manifest);
        return pulled.isEmpty() || pulled.get().isBefore(cutoff);
    }

    /** The repository's tags whose current link names a manifest, with their push times. */
    private List<TagLink> tags(RepositoryName repository) {
        List<TagLink> tags = new ArrayList<>();
        for (String tag : store.list(StorePaths.tags(repository))) {
            current(repository, tag).ifPresent(tags::add);
        }
        return tags;
    }

    private Optional<TagLink> current(RepositoryName repository, String tag) {
        String path;
        try {
            path = StorePaths.tagCurrentLink(repository, tag);
        } catch (IllegalArgumentException notAStorePath) {
            return Optional.empty();
        }
        Optional<ObjectInfo> info = store.stat(path);
        Optional<byte[]> link = store.readBytes(path);
        if (info.isEmpty() || link.isEmpty()) {
            return Optional.empty();
        }
        String text = new String(link.get(), StandardCharsets.UTF_8).trim();
        if (!text.startsWith("sha256:")) {
            return Optional.empty();
        }
        return StoredBlobs.digestOf(text.substring("sha256:".length()))
                .map(digest -> new TagLink(tag, digest, info.get().modifiedAt()));
    }

    /** Every revision of the repository with its outline (an unreadable manifest names nothing). */
    private Map<Digest, Outline> outlines(RepositoryName repository) {
        Map<Digest, Outline> outlines = new LinkedHashMap<>(); // listing order: sorted, the same every run
        for (String hex : store.list(StorePaths.manifestRevisions(repository, "sha256"))) {
            StoredBlobs.digestOf(hex).ifPresent(manifest -> outlines.put(manifest, revisions.outline(manifest)
                    .orElse(new Outline(Optional.empty(), List.of()))));
        }
        return outlines;
    }

    /**
     * Deletes the tag if its current link is still the one listed (same manifest, not written since) and
     * {@code stillUnused} (its eviction: not pulled since). A push of
     * the tag after this check and before the deletion is lost (see the class comment).
     */
    private boolean deleteTag(RepositoryName repository, TagLink listed, boolean dryRun, BooleanSupplier stillUnused) {
        steps.untagging(repository, listed.tag());
        Optional<TagLink> now = current(repository, listed.tag());
        if (now.isEmpty() || !now.get().equals(listed)) {
            log.debug("garbage collection keeps tag {}:{}: pushed again during the run", repository, listed.tag());
            return false;
        }
        if (!stillUnused.getAsBoolean()) {
            log.debug("garbage collection keeps tag {}:{}: pulled during the run", repository, listed.tag());
            return false;
        }
        if (!dryRun) {
            store.delete(StorePaths.tag(repository, listed.tag()));
        }
        return true;
    }

    /**
     * Deletes the revision if its link is still older than {@code age} (and exists). A push of the same
     * manifest after this check and before the deletion is lost (see the class comment).
     */
    private boolean deleteRevision(RepositoryName repository, Digest manifest, Duration age, String rule,
            Tally tally) {
        steps.pruning(repository, manifest);
        Optional<ObjectInfo> link = store.stat(StorePaths.manifestRevisionLink(repository, manifest));
        if (link.isEmpty() || !link.get().modifiedAt().isBefore(clock.instant().minus(age))) {
            return false;
        }
        if (!tally.dryRun) {
            revisions.delete(repository, manifest);
            if (eviction.evictAfter(repository).isPresent()) {
                eviction.forgetManifest(repository, manifest);
            }
        }
        tally.add(repository, null, manifest, rule, false);
        return true;
    }

    /** Counts what was deleted and lists the first {@link GcReport#LISTED} of it, logging each. */
    private final class Tally {

        final boolean dryRun;
        int tags;
        int manifests;
        final List<GcReport.Pruned> pruned = new ArrayList<>();

        Tally(boolean dryRun) {
            this.dryRun = dryRun;
        }

        void add(RepositoryName repository, String tag, Digest digest, String rule, boolean isTag) {
            if (isTag) {
                tags++;
            } else {
                manifests++;
            }
            if (pruned.size() < GcReport.LISTED) {
                pruned.add(new GcReport.Pruned(repository.value(), tag, digest.toString(), rule));
            }
            String what = isTag ? "tag " + repository + ":" + tag + " (" + digest + ")"
                    : "manifest " + repository + "@" + digest;
            if (dryRun) {
                log.info("garbage collection (dry run) would delete {} by rule {}", what, rule);
            } else {
                log.debug("garbage collection deletes {} by rule {}", what, rule);
            }
        }
    }
}
