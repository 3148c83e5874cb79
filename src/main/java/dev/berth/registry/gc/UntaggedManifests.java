package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.ManifestRevisions.Outline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which manifests of a repository its tags reach: a tag's manifest; the children of a manifest reached (an
 * index's platform images), recursively; and the referrers of a manifest reached (a signature, an SBOM, a
 * signature of that SBOM), recursively. The revisions not reached are the untagged ones.
 */
final class UntaggedManifests {

    private UntaggedManifests() {
    }

    /** The manifests reached from {@code tagged}, given each revision's outline (the revisions not read: none). */
    static Set<Digest> reached(Collection<Digest> tagged, Map<Digest, Outline> outlines) {
        Map<Digest, List<Digest>> referrers = new HashMap<>();
        outlines.forEach((manifest, outline) -> outline.subject().ifPresent(subject ->
                referrers.computeIfAbsent(subject, s -> new ArrayList<>()).add(manifest)));
        Set<Digest> reached = new HashSet<>();
        Deque<Digest> pending = new ArrayDeque<>(tagged);
        while (!pending.isEmpty()) {
            Digest manifest = pending.poll();
            if (!reached.add(manifest)) {
                continue;
            }
            Outline outline = outlines.get(manifest);
            if (outline != null) {
                pending.addAll(outline.children());
            }
            pending.addAll(referrers.getOrDefault(manifest, List.of()));
        }
        return reached;
    }
}
