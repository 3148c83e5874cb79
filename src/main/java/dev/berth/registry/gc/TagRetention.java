package dev.berth.registry.gc;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The retention policies, and the tags of a repository they do not keep. The first policy whose pattern
 * matches the repository governs it alone; a tag is kept when any rule of that policy keeps it
 * ({@link RetentionPolicy}).
 */
final class TagRetention {

    /** A policy with its patterns compiled. */
    record Policy(RetentionPolicy settings, Glob repositories, List<Glob> keepTags) {

        String describe() {
            return settings.describe();
        }
    }

    private final List<Policy> policies;

    TagRetention(List<RetentionPolicy> settings) {
        this.policies = settings.stream().map(policy -> new Policy(policy, new Glob(policy.repositories()),
                policy.keepTags().stream().map(Glob::new).toList())).toList();
    }

    /** The policy governing the repository: the first whose pattern matches it, if any does. */
    Optional<Policy> governing(String repository) {
        return policies.stream().filter(policy -> policy.repositories().matches(repository)).findFirst();
    }

    /** The tags the policy keeps none of its rules for, as of {@code now}, oldest first. */
    static List<TagLink> unkept(Policy policy, List<TagLink> tags, Instant now) {
        RetentionPolicy rules = policy.settings();
        // Newest first; equal push times by name, so the same listing always keeps the same tags.
        List<TagLink> newestFirst = new ArrayList<>(tags);
        newestFirst.sort(Comparator.comparing(TagLink::pushedAt).reversed().thenComparing(TagLink::tag));
        Set<String> newest = new HashSet<>();
        if (rules.keepNewest() != null) {
            newestFirst.stream().limit(rules.keepNewest()).forEach(tag -> newest.add(tag.tag()));
        }
        List<TagLink> unkept = new ArrayList<>();
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            TagLink tag = newestFirst.get(i);
            boolean kept = policy.keepTags().stream().anyMatch(pattern -> pattern.matches(tag.tag()))
                    || newest.contains(tag.tag())
                    || rules.deleteOlderThan() != null && tag.pushedAt().isAfter(now.minus(rules.deleteOlderThan()));
            if (!kept) {
                unkept.add(tag);
            }
        }
        return unkept;
    }
}
