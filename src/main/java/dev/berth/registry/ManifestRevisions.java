package dev.berth.registry;

import dev.berth.storage.StorageDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A repository's manifest revisions as stored: what a stored manifest names of other manifests (its
 * {@code subject}, an index's children), and the deletion of a revision with the referrers entry its push
 * made. Shared by the manifest API's delete and by garbage collection, which may not depend on each other.
 * A manifest is read leniently (any JSON with those fields), so that one Berth would not accept today is
 * still understood as far as it can be.
 */
public final class ManifestRevisions {

    /** What a stored manifest names of other manifests: the subject it refers to, the children of an index. */
    public record Outline(Optional<Digest> subject, List<Digest> children) {
    }

    private final StorageDriver store;
    private final Documents documents;
    private final JsonMapper json;

    public ManifestRevisions(StorageDriver store, Documents documents, JsonMapper json) {
        this.store = store;
        this.documents = documents;
        this.json = json;
    }

    /** The manifest's outline; empty when its bytes are gone or are no JSON object. */
    public Optional<Outline> outline(Digest manifest) {
        Optional<Documents.Held> stored = documents.read(StorePaths.blobData(manifest), 2);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        JsonNode root;
        try (Documents.Held held = stored.get()) {
            root = json.readTree(held.content());
        } catch (JacksonException notJson) {
            return Optional.empty();
        }
        if (root == null || !root.isObject()) {
            return Optional.empty();
        }
        List<Digest> children = new ArrayList<>();
        for (JsonNode child : root.path("manifests")) {
            digestIn(child.path("digest")).ifPresent(children::add);
        }
        return Optional.of(new Outline(digestIn(root.path("subject").path("digest")), List.copyOf(children)));
    }

    /**
     * Deletes the revision and its entry among its subject's referrers, leaving tags alone (the caller decides
     * about those) and the bytes to garbage collection. The referrers entry goes first: a deletion that breaks
     * off leaves a revision still listed as a manifest, never a referrer of a manifest that is gone. Repeatable.
     */
    public void delete(RepositoryName repository, Digest digest) {
        outline(digest).flatMap(Outline::subject).ifPresent(subject ->
                store.delete(StorePaths.referrer(repository, subject, digest)));
        store.delete(StorePaths.manifestRevision(repository, digest));
    }

    private static Optional<Digest> digestIn(JsonNode node) {
        if (!node.isString() || !node.asString().startsWith("sha256:")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Digest.sha256(node.asString().substring("sha256:".length())));
        } catch (IllegalArgumentException notADigest) {
            return Optional.empty();
        }
    }
}
