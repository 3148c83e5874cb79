package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import java.util.Set;

/**
 * Called by the collector between its steps: the seam through which tests push, mount or die at the
 * dangerous moments of a run. Berth itself passes {@link #NONE}.
 */
interface GcSteps {

    GcSteps NONE = new GcSteps() {
    };

    /** After the markers of {@code candidates} were written, before the settle time. */
    default void condemned(Set<Digest> candidates) {
    }

    /** After the settle time, before the second mark. */
    default void settled() {
    }

    /** Before the claim of a candidate the second mark did not find live. */
    default void claiming(Digest digest) {
    }

    /** After the claim (the marker reads {@code deleting}), before the blob's data and links go. */
    default void claimed(Digest digest) {
    }

    /** Before a tag the retention policy does not keep is read again and, if unchanged, deleted. */
    default void untagging(RepositoryName repository, String tag) {
    }

    /** Before a manifest revision chosen for deletion is looked at again and, if still old, deleted. */
    default void pruning(RepositoryName repository, Digest manifest) {
    }
}
