package dev.berth.registry.gc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which tags of some repositories garbage collection keeps. Every rule given names tags to keep, and a tag is
 * kept when any of them keeps it: it matches {@code keepTags}, OR it is among the {@code keepNewest} most
 * recently pushed, OR it was pushed less than {@code deleteOlderThan} ago. Every other tag of the repository
 * is deleted. A rule left out keeps nothing, so a policy needs at least one ({@link GcProperties} refuses one
 * without). A tag's push time is when its current link was last written: pushing the tag again, even to the
 * same manifest, makes it new.
 *
 * @param repositories the repositories it governs, a {@link Glob}: {@code ci/**}, {@code team/*}, {@code app}
 * @param keepNewest keeps this many tags, the most recently pushed (null: this rule is not given)
 * @param keepTags keeps the tags matching any of these patterns, e.g. {@code v*}, {@code latest}
 * @param deleteOlderThan keeps the tags pushed within this time (null: this rule is not given)
 */
public record RetentionPolicy(String repositories, Integer keepNewest, @DefaultValue List<String> keepTags,
        Duration deleteOlderThan) {

    public RetentionPolicy {
        keepTags = keepTags == null ? List.of() : List.copyOf(keepTags);
    }

    /** Whether the policy has any rule at all: one without would delete every tag. */
    boolean hasRule() {
        return keepNewest != null || !keepTags.isEmpty() || deleteOlderThan != null;
    }

    /** The policy as a report and a log name it: {@code retention ci/** keep-newest=20 keep-tags=release-*}. */
    String describe() {
        List<String> parts = new ArrayList<>(List.of("retention", repositories));
        if (keepNewest != null) {
            parts.add("keep-newest=" + keepNewest);
        }
        if (!keepTags.isEmpty()) {
            parts.add("keep-tags=" + String.join(",", keepTags));
        }
        if (deleteOlderThan != null) {
            parts.add("delete-older-than=" + format(deleteOlderThan));
        }
        return String.join(" ", parts);
    }

    /** A duration as it is written in application.yaml: {@code 14d}, {@code 36h}, {@code 90s}. */
    public static String format(Duration duration) {
        if (duration.isZero() || duration.toMillis() % 1000 != 0) {
            return duration.toMillis() + "ms";
        }
        long seconds = duration.toSeconds();
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }
}
