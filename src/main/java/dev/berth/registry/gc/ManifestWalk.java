package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.storage.StorageDriver;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
        Set<Digest> live = new HashSet<>();
        Set<Digest> read = new HashSet<>();
        Map<Digest, Set<RepositoryName>> links = new HashMap<>();
        int manifests = 0;
        for (String name : catalog.names()) {
            RepositoryName repository = new RepositoryName(name);
            for (String hex : store.list(StorePaths.manifestRevisions(repository, "sha256"))) {
                Optional<Digest> manifest = StoredBlobs.digestOf(hex);
                if (manifest.isPresent()) {
                    manifests++;
                    keep(manifest.get(), live, read);
                }
            }
            for (String hex : store.list(StorePaths.layers(repository, "sha256"))) {
                StoredBlobs.digestOf(hex).ifPresent(blob ->
                        links.computeIfAbsent(blob, d -> new HashSet<>()).add(repository));
            }
        }
        return new LiveSet(live, manifests, links);
    }

    /** Keeps a manifest and everything it references, its children's references too. */
    private void keep(Digest root, Set<Digest> live, Set<Digest> read) {
        Deque<Digest> pending = new ArrayDeque<>();
        pending.add(root);
        while (!pending.isEmpty()) {
            Digest manifest = pending.poll();
            live.add(manifest);
            if (read.add(manifest)) {
                readReferences(manifest, live, pending);
            }
        }
    }

    private void readReferences(Digest manifest, Set<Digest> live, Deque<Digest> children) {
        Optional<Documents.Held> stored = documents.read(StorePaths.blobData(manifest), 2);
        if (stored.isEmpty()) {
            return; // a revision whose data is gone: nothing of it to keep
        }
        JsonNode root;
        try (Documents.Held held = stored.get()) {
            root = json.readTree(held.content());
        } catch (JacksonException e) {
            log.warn("garbage collection: manifest {} is not JSON, so it keeps no blobs: {}", manifest,
                    e.getOriginalMessage());
            return;
        }
        if (root == null || !root.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (!field.getKey().equals("subject")) {
                collect(field.getKey(), field.getValue(), live);
            }
        }
        for (JsonNode child : root.path("manifests")) {
            digestIn(child.path("digest")).ifPresent(children::add);
        }
    }

    private static void collect(String name, JsonNode node, Set<Digest> live) {
        if (name.equals("digest") || name.equals("blobSum")) {
            digestIn(node).ifPresent(live::add);
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                collect(field.getKey(), field.getValue(), live);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                collect("", element, live);
            }
        }
    }

    private static Optional<Digest> digestIn(JsonNode node) {
        if (!node.isString() || !node.asString().startsWith("sha256:")) {
            return Optional.empty();
        }
        return StoredBlobs.digestOf(node.asString().substring("sha256:".length()));
    }
}
