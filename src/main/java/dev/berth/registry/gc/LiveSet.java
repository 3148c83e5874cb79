package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import java.util.Map;
import java.util.Set;

/**
 * What one mark found: every blob a manifest revision keeps alive (the manifests themselves, their configs
 * and layers, an index's child manifests and theirs), and which repositories link each blob.
 *
 * @param manifests manifest revisions walked, over all repositories
 */
record LiveSet(Set<Digest> live, int manifests, Map<Digest, Set<RepositoryName>> links) {

    boolean isLive(Digest digest) {
        return live.contains(digest);
    }

    /** The repositories whose {@code _layers} link {@code digest}. */
    Set<RepositoryName> linking(Digest digest) {
        return links.getOrDefault(digest, Set.of());
    }
}
