package dev.berth.registry.gc;

import dev.berth.settings.InvalidSettingException;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The garbage collection of blobs no manifest references, and of the tags and manifests it may delete first.
 *
 * @param enabled whether this replica runs it on a schedule (the on-demand trigger always works)
 * @param interval time between runs; each replica adds a random delay of up to one interval at start
 * @param grace a blob whose data is younger than this is never collected: it may have been pushed for a
 *     manifest that is not pushed yet
 * @param settle the pause between condemning blobs and deleting them: longer than any writer takes between
 *     checking a blob's marker and writing what makes the blob live
 * @param dryRun report what would be deleted without deleting anything (the report is stored); a run asked
 *     for by hand may say otherwise
 * @param lockTimeout how long a replica's claim on the collection lasts if it dies without releasing it; the
 *     running replica renews it between steps
 * @param deleteUntagged the deletion of manifests no tag reaches
 * @param deleteOrphanedReferrers delete referrers (signatures, SBOMs) whose subject manifest is no longer in
 *     the repository, once older than {@code grace}, unless a tag names them
 * @param retention which tags to keep, by repository; the first policy whose pattern matches a repository
 *     governs it, and repositories none matches keep every tag
 */
@ConfigurationProperties("berth.gc")
public record GcProperties(@DefaultValue("false") boolean enabled, @DefaultValue("24h") Duration interval,
        @DefaultValue("1h") Duration grace, @DefaultValue("2m") Duration settle, @DefaultValue("false") boolean dryRun,
        @DefaultValue("10m") Duration lockTimeout, @DefaultValue DeleteUntagged deleteUntagged,
        @DefaultValue("false") boolean deleteOrphanedReferrers, @DefaultValue List<RetentionPolicy> retention) {

    public GcProperties {
        deleteUntagged = deleteUntagged == null ? new DeleteUntagged(false, DeleteUntagged.DEFAULT_AGE) : deleteUntagged;
        retention = retention == null ? List.of() : List.copyOf(retention);
        if (deleteUntagged.age().compareTo(grace) < 0) {
            throw new InvalidSettingException("berth.gc.delete-untagged.age", deleteUntagged.age()
                    + " is shorter than berth.gc.grace (" + grace + "): a manifest pushed by tag is briefly"
                    + " untagged between its revision and its tag", "set it to at least berth.gc.grace");
        }
        for (int i = 0; i < retention.size(); i++) {
            check("berth.gc.retention[" + i + "]", retention.get(i));
        }
    }

    /** Whether a run deletes (or, dry, lists) tags or manifests before it collects blobs. */
    boolean prunes() {
        return deleteUntagged.enabled() || deleteOrphanedReferrers || !retention.isEmpty();
    }

    /**
     * @param enabled delete manifest revisions that no tag reaches: not a tag's manifest, nor a child of an
     *     index that is reached, nor a referrer of a manifest that is reached
     * @param age only revisions whose link was last written longer ago than this (pushing a manifest again
     *     rewrites it); at least {@code berth.gc.grace}
     */
    public record DeleteUntagged(@DefaultValue("false") boolean enabled, @DefaultValue("7d") Duration age) {

        static final Duration DEFAULT_AGE = Duration.ofDays(7);

        public DeleteUntagged {
            age = age == null ? DEFAULT_AGE : age;
        }
    }

    private static void check(String property, RetentionPolicy policy) {
        if (policy.repositories() == null || policy.repositories().isBlank()) {
            throw new InvalidSettingException(property + ".repositories", "not set",
                    "name the repositories the policy governs, e.g. ci/** or team/*");
        }
        if (!policy.hasRule()) {
            throw new InvalidSettingException(property, "the policy for " + policy.repositories()
                    + " has no rule, so it would keep no tag and delete them all",
                    "give it keep-newest, keep-tags or delete-older-than (a tag any of them keeps stays)");
        }
        if (policy.keepNewest() != null && policy.keepNewest() < 1) {
            throw new InvalidSettingException(property + ".keep-newest", policy.keepNewest() + " keeps no tag",
                    "set at least 1, or leave it out");
        }
        if (policy.deleteOlderThan() != null
                && (policy.deleteOlderThan().isNegative() || policy.deleteOlderThan().isZero())) {
            throw new InvalidSettingException(property + ".delete-older-than", policy.deleteOlderThan()
                    + " keeps no tag", "set a positive duration such as 14d, or leave it out");
        }
        if (policy.keepTags().stream().anyMatch(tag -> tag == null || tag.isBlank())) {
            throw new InvalidSettingException(property + ".keep-tags", "has an empty pattern",
                    "remove it, or write a pattern such as v* or latest");
        }
    }
}
