package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one mark found: every blob a manifest revision keeps alive (the manifests themselves, their configs
 * and layers, an index's child manifests and theirs), which repositories link each blob no manifest keeps,
 * and the sizes the manifests' descriptors give.
 *
 * @param digests every digest the mark met: referenced by a manifest or linked by a repository
 * @param live the numbers (in {@code digests}) of the live blobs
 * @param manifests manifest revisions walked, over all repositories
 * @param repositories the repositories walked, numbered as {@code linkRepositories} names them
 * @param linkOffsets for digest {@code i} not live, its linking repositories are
 *     {@code linkRepositories[linkOffsets[i] .. linkOffsets[i + 1]]}; live digests' links are not kept
 * @param storeBytes the live blobs' sizes, added up
 * @param usage each repository's bytes, largest first, at most {@link GcReport#LISTED}
 */
record LiveSet(DigestIndex digests, BitSet live, int manifests, List<RepositoryName> repositories,
        int[] linkOffsets, int[] linkRepositories, long storeBytes, List<GcReport.RepositoryUsage> usage) {

    boolean isLive(Digest digest) {
        int id = digests.find(digest);
        return id >= 0 && live.get(id);
    }

    /** Blobs found live. */
    int blobsMarked() {
        return live.cardinality();
    }

    /** The repositories whose {@code _layers} link {@code digest}, which no manifest keeps. */
    Set<RepositoryName> linking(Digest digest) {
        int id = digests.find(digest);
        if (id < 0 || id + 1 >= linkOffsets.length) {
            return Set.of();
        }
        Set<RepositoryName> linking = new LinkedHashSet<>();
        for (int i = linkOffsets[id]; i < linkOffsets[id + 1]; i++) {
            linking.add(repositories.get(linkRepositories[i]));
        }
        return linking;
    }
}
