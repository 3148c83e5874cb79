package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.storage.StorageDriver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The mark: walks every repository's manifest revisions and reads each manifest (once, however many
 * repositories hold it) for what it references. It reads the stored JSON leniently rather than by the push's
 * rules, so that a manifest Berth would not accept today (Distribution's schema 1, an unknown media type)
 * still keeps its blobs: every {@code digest} (and schema 1 {@code blobSum}) in it counts, except its
 * {@code subject}'s, since a referrer does not keep its subject alive. An index's children are read in turn.
 *
 * <p>The same walk sizes the store and each repository, with no store call of its own: a blob's size is the
 * {@code size} of a descriptor naming it (a manifest's, the length read), and a repository's bytes are those of
 * the distinct blobs its revisions reach. Each read manifest keeps only the numbers of what it references, so
 * a repository's total follows those numbers instead of reading its manifests again.
 */
final class ManifestWalk {

    private static final Logger log = LoggerFactory.getLogger(ManifestWalk.class);

    private final StorageDriver store;
    private final RepositoryCatalog catalog;
    private final Documents documents;
    private final JsonMapper json;

    ManifestWalk(StorageDriver store, RepositoryCatalog catalog, Documents documents, JsonMapper json) {
        this.store = store;
        this.catalog = catalog;
        this.documents = documents;
        this.json = json;
    }

    LiveSet mark() {
        return new Mark().walk();
    }

    /** One walk's state, in arrays indexed by the digests' numbers. */
    private final class Mark {

        private final DigestIndex digests = new DigestIndex();
        private final BitSet live = new BitSet();
        /** Manifests read (or found gone), so none is read twice. */
        private final BitSet read = new BitSet();
        /** A blob's size from a descriptor or the manifest's own length; -1 while unknown. */
        private long[] sizes = unknownSizes(64);
        /** The references of read manifest {@code i}: {@code references[referenceStart[i] .. referenceEnd[i]]}. */
        private int[] referenceStart = new int[64];
        private int[] referenceEnd = new int[64];
        private final IntList references = new IntList();
        /** Which repository last counted a blob, so each counts once per repository. */
        private int[] countedFor = new int[64];
        private final IntList linkDigests = new IntList();
        private final IntList linkRepositories = new IntList();
        private final List<RepositoryName> repositories = new ArrayList<>();
        private final PriorityQueue<GcReport.RepositoryUsage> largest = new PriorityQueue<>(LARGEST_FIRST.reversed());
        private int manifests;

        LiveSet walk() {
            IntList revisions = new IntList();
            for (String name : catalog.names()) {
                RepositoryName repository = new RepositoryName(name);
                int number = repositories.size();
                repositories.add(repository);
                revisions.clear();
                for (String hex : store.list(StorePaths.manifestRevisions(repository, "sha256"))) {
                    Optional<Digest> manifest = StoredBlobs.digestOf(hex);
                    if (manifest.isPresent()) {
                        manifests++;
                        int id = number(manifest.get());
                        keep(id);
                        revisions.add(id);
                    }
                }
                for (String hex : store.list(StorePaths.layers(repository, "sha256"))) {
                    StoredBlobs.digestOf(hex).ifPresent(blob -> {
                        linkDigests.add(number(blob));
                        linkRepositories.add(number);
                    });
                }
                count(repository, number, revisions);
            }
            long storeBytes = 0;
            for (int id = live.nextSetBit(0); id >= 0; id = live.nextSetBit(id + 1)) {
                storeBytes += Math.max(0, sizes[id]);
            }
            List<GcReport.RepositoryUsage> usage = new ArrayList<>(largest);
            usage.sort(LARGEST_FIRST);
            int[] offsets = linksOfUnreferenced();
            int[] linking = new int[offsets[digests.size()]];
            int[] filled = Arrays.copyOf(offsets, digests.size());
            for (int i = 0; i < linkDigests.size(); i++) {
                int id = linkDigests.get(i);
                if (!live.get(id)) {
                    linking[filled[id]++] = linkRepositories.get(i);
                }
            }
            return new LiveSet(digests, live, manifests, repositories, offsets, linking, storeBytes, usage);
        }

        /** Where each unreferenced digest's linking repositories start, by counting them first. */
        private int[] linksOfUnreferenced() {
            int[] offsets = new int[digests.size() + 1];
            for (int i = 0; i < linkDigests.size(); i++) {
                int id = linkDigests.get(i);
                if (!live.get(id)) {
                    offsets[id + 1]++;
                }
            }
            for (int id = 0; id < digests.size(); id++) {
                offsets[id + 1] += offsets[id];
            }
            return offsets;
        }

        /** The digest's number, with room for it in every array. */
        private int number(Digest digest) {
            int id = digests.add(digest);
            if (id >= sizes.length) {
                int grown = sizes.length * 2;
                int old = sizes.length;
                sizes = Arrays.copyOf(sizes, grown);
                Arrays.fill(sizes, old, grown, -1);
                referenceStart = Arrays.copyOf(referenceStart, grown);
                referenceEnd = Arrays.copyOf(referenceEnd, grown);
                countedFor = Arrays.copyOf(countedFor, grown);
            }
            return id;
        }

        /** Keeps a manifest and everything it references, its children's references too. */
        private void keep(int root) {
            IntList pending = new IntList();
            pending.add(root);
            while (pending.size() > 0) {
                int manifest = pending.removeLast();
                live.set(manifest);
                if (!read.get(manifest)) {
                    read.set(manifest);
                    readReferences(manifest, pending);
                }
            }
        }

        private void readReferences(int manifest, IntList children) {
            referenceStart[manifest] = references.size();
            referenceEnd[manifest] = references.size();
            Digest digest = digests.digest(manifest);
            Optional<Documents.Held> stored = documents.read(StorePaths.blobData(digest), 2);
            if (stored.isEmpty()) {
                return; // a revision whose data is gone: nothing of it to keep
            }
            JsonNode root;
            try (Documents.Held held = stored.get()) {
                sizes[manifest] = held.content().length;
                root = json.readTree(held.content());
            } catch (JacksonException e) {
                log.warn("garbage collection: manifest {} is not JSON, so it keeps no blobs: {}", digest,
                        e.getOriginalMessage());
                return;
            }
            if (root == null || !root.isObject()) {
                return;
            }
            for (Map.Entry<String, JsonNode> field : root.properties()) {
                if (!field.getKey().equals("subject")) {
                    collect(field.getKey(), field.getValue(), root);
                }
            }
            referenceEnd[manifest] = references.size();
            for (JsonNode child : root.path("manifests")) {
                digestIn(child.path("digest")).ifPresent(found -> children.add(number(found)));
            }
        }

        /** Keeps the digest in {@code node} (a field of {@code holder}) with the size beside it, and looks deeper. */
        private void collect(String name, JsonNode node, JsonNode holder) {
            if (name.equals("digest") || name.equals("blobSum")) {
                digestIn(node).ifPresent(digest -> {
                    int id = number(digest);
                    live.set(id);
                    references.add(id);
                    JsonNode size = holder.path("size");
                    if (sizes[id] < 0 && size.isIntegralNumber() && size.asLong() >= 0) {
                        sizes[id] = size.asLong();
                    }
                });
            }
            if (node.isObject()) {
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    collect(field.getKey(), field.getValue(), node);
                }
            } else if (node.isArray()) {
                for (JsonNode element : node) {
                    collect("", element, node);
                }
            }
        }

        /** Adds up the distinct blobs the repository's revisions reach, each once, and keeps it if among the largest. */
        private void count(RepositoryName repository, int number, IntList revisions) {
            int mark = number + 1;
            long bytes = 0;
            IntList pending = new IntList();
            for (int i = 0; i < revisions.size(); i++) {
                pending.add(revisions.get(i));
            }
            while (pending.size() > 0) {
                int id = pending.removeLast();
                if (countedFor[id] == mark) {
                    continue;
                }
                countedFor[id] = mark;
                bytes += Math.max(0, sizes[id]);
                if (read.get(id)) {
                    for (int r = referenceStart[id]; r < referenceEnd[id]; r++) {
                        pending.add(references.get(r));
                    }
                }
            }
            largest.add(new GcReport.RepositoryUsage(repository.value(), bytes));
            if (largest.size() > GcReport.LISTED) {
                largest.poll();
            }
        }
    }

    /** Largest first; among equals, by name. */
    static final Comparator<GcReport.RepositoryUsage> LARGEST_FIRST = Comparator
            .comparingLong(GcReport.RepositoryUsage::bytes).reversed()
            .thenComparing(GcReport.RepositoryUsage::repository);

    private static long[] unknownSizes(int length) {
        long[] sizes = new long[length];
        Arrays.fill(sizes, -1);
        return sizes;
    }

    private static Optional<Digest> digestIn(JsonNode node) {
        if (!node.isString() || !node.asString().startsWith("sha256:")) {
            return Optional.empty();
        }
        return StoredBlobs.digestOf(node.asString().substring("sha256:".length()));
    }
}
