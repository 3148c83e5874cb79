package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.ManifestRevisions;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.gc.BlobRescue;
import dev.berth.registry.tag.TagService;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Manifests: validated on push (well-formed, consistent media type, every referenced blob or child
 * manifest present in the repository), stored as blobs, and linked as revisions and tags.
 */
@Service
public class ManifestService {

    private static final Logger log = LoggerFactory.getLogger(ManifestService.class);

    /**
     * Media types of manifests already read, by digest: content-addressed, so they never change, and
     * serving a manifest then needs no JSON parsing. Emptied when it grows past its bound.
     */
    private static final int MEDIA_TYPE_CACHE_SIZE = 10_000;
    /** A parsed manifest's tree and its bytes take about this many times its size of heap. */
    public static final int PARSED_FACTOR = 4;
    private final Map<Digest, String> mediaTypes = new ConcurrentHashMap<>();

    private final StorageDriver store;
    private final BlobService blobs;
    private final TagService tags;
    private final JsonMapper json;
    private final ManifestProperties properties;
    private final ManifestReferences references;
    private final BlobRescue rescue;
    private final ManifestRevisions revisions;

    private final Documents documents;

    public ManifestService(StorageDriver store, BlobService blobs, TagService tags, JsonMapper json,
            ManifestProperties properties, Documents documents, BlobRescue rescue) {
        this.documents = documents;
        this.store = store;
        this.blobs = blobs;
        this.tags = tags;
        this.json = json;
        this.properties = properties;
        this.rescue = rescue;
        this.references = new ManifestReferences(blobs, rescue, properties);
        this.revisions = new ManifestRevisions(store, documents, json);
    }

    /**
     * Pushes a manifest under {@code reference}, a tag or the manifest's own digest. The manifest is held in
     * memory (at most {@code berth.manifests.max-size}) under a share of the memory budget.
     */
    public PushedManifest put(RepositoryName repository, String reference, String contentType, InputStream body,
            long declaredLength) {
        try (Documents.Held held = readBounded(body, declaredLength)) {
            byte[] content = held.content();
            Digest digest = Digest.of(content);
            if (Digest.looksLikeDigest(reference)) {
                Digest named = Digest.parse(reference);
                if (!named.equals(digest)) {
                    throw new RegistryException(ErrorCode.DIGEST_INVALID, "the manifest's digest is " + digest
                            + " but it was pushed as " + named, named.toString());
                }
            } else {
                TagService.validate(reference);
            }
            ParsedManifest manifest = ParsedManifest.parse(content, contentType, json);
            BlobRescue.Window window = rescue.open();
            Set<Digest> reliedOn = references.check(repository, manifest,
                    (repo, child) -> find(repo, child).isPresent());

            // The same manifest pushed before and since deleted may be condemned: rescued, or stored anew.
            rescue.rescueOrAwaitDeletion(digest);
            if (blobs.findStored(digest).isEmpty()) {
                store.writeBytes(StorePaths.blobData(digest), content);
            }
            reliedOn.add(digest);
            // Rewriting a child's link makes it young again: garbage collection deletes only untagged
            // revisions whose link is old, and checks that right before it deletes one.
            for (Descriptor child : manifest.children()) {
                store.writeBytes(StorePaths.manifestRevisionLink(repository, child.digest()), link(child.digest()));
            }
            store.writeBytes(StorePaths.manifestRevisionLink(repository, digest), link(digest));
            if (window.outlivedHalfTheSettle()) {
                withdrawIfABlobWasCollected(repository, digest, reliedOn);
            }
            if (manifest.subject() != null) {
                store.writeBytes(StorePaths.referrerDescriptor(repository, manifest.subject().digest(), digest),
                        json.writeValueAsBytes(Referrer.of(digest, manifest, content.length)));
            }
            if (!Digest.looksLikeDigest(reference)) {
                tags.tag(repository, reference, digest);
            }
            return new PushedManifest(digest, manifest.subject() == null ? null : manifest.subject().digest(),
                    manifest.mediaType(), content.length);
        }
    }

    /**
     * Stores a manifest a pull-through cache fetched from its upstream (whose digest the cache checked), as a
     * regular revision of {@code repository}, and points {@code tag} (null: none) at it. Unlike a push, the
     * blobs and child manifests it references need not be here: the cache fetches them when they are asked
     * for. It is parsed all the same, so nothing malformed is stored.
     */
    public Digest storeFetched(RepositoryName repository, String tag, byte[] content, String contentType) {
        Digest digest = Digest.of(content);
        ParsedManifest manifest = ParsedManifest.parse(content, contentType, json);
        rescue.rescueOrAwaitDeletion(digest);
        if (blobs.findStored(digest).isEmpty()) {
            store.writeBytes(StorePaths.blobData(digest), content);
        }
        store.writeBytes(StorePaths.manifestRevisionLink(repository, digest), link(digest));
        if (manifest.subject() != null) {
            store.writeBytes(StorePaths.referrerDescriptor(repository, manifest.subject().digest(), digest),
                    json.writeValueAsBytes(Referrer.of(digest, manifest, content.length)));
        }
        if (tag != null) {
            tags.tag(repository, tag, digest);
        }
        return digest;
    }

    /**
     * A push that took longer than half the collector's settle time from its checks to its write may have
     * raced a whole collection: a blob it found may have been condemned, claimed and deleted meanwhile. It
     * confirms its blobs now; if one is gone, its manifest is withdrawn (no run could have kept its blobs for
     * a revision written this late, so no other push relies on it) and the client pushes the blob again.
     */
    private void withdrawIfABlobWasCollected(RepositoryName repository, Digest manifest, Set<Digest> reliedOn) {
        Optional<Digest> lost = references.firstLost(reliedOn);
        if (lost.isPresent()) {
            log.warn("manifest {} of {} took longer than half the garbage collection's settle time to write, and"
                    + " {} was collected meanwhile: withdrawn, the client pushes it again", manifest, repository,
                    lost.get());
            store.delete(StorePaths.manifestRevisionLink(repository, manifest));
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "the manifest references " + lost.get()
                    + ", which was garbage-collected while the manifest was being pushed; push it again",
                    lost.get().toString());
        }
    }

    /**
     * The manifest a tag or digest names, holding a share of the memory budget until it is closed. When the
     * client lists the media types it accepts and the stored manifest's is not among them, it is reported
     * unknown, as Distribution does.
     */
    public StoredManifest get(RepositoryName repository, String reference, List<String> accepted) {
        Digest digest = resolve(repository, reference);
        Documents.Held held = documents.read(StorePaths.blobData(digest), 1)
                .orElseThrow(() -> unknown(repository, reference));
        try {
            byte[] content = held.content();
            String mediaType = mediaTypes.computeIfAbsent(digest, d -> ParsedManifest.storedMediaType(content, json));
            if (mediaTypes.size() > MEDIA_TYPE_CACHE_SIZE) {
                mediaTypes.clear();
            }
            if (!accepted.isEmpty() && accepted.stream().noneMatch(type -> accepts(type, mediaType))) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is a "
                        + mediaType + ", which the request's Accept header does not list", reference);
            }
            return new StoredManifest(digest, mediaType, content, held);
        } catch (RuntimeException e) {
            held.close();
            throw e;
        }
    }

    private static boolean accepts(String acceptedType, String mediaType) {
        return acceptedType.equals(mediaType) || acceptedType.equals("*/*")
                || acceptedType.endsWith("/*") && mediaType.startsWith(acceptedType.substring(0, acceptedType.length() - 1));
    }

    public Optional<Digest> find(RepositoryName repository, Digest digest) {
        return store.stat(StorePaths.manifestRevisionLink(repository, digest)).map(info -> digest);
    }

    /**
     * Deleting by tag removes only the tag; deleting by digest removes the manifest, every tag that named it
     * and its entry in its subject's referrers. The bytes stay for garbage collection.
     */
    public void delete(RepositoryName repository, String reference) {
        if (!Digest.looksLikeDigest(reference)) {
            // A tag that breaks the grammar cannot exist: unknown, not invalid.
            if (!TagService.isValid(reference) || !tags.untag(repository, reference)) {
                throw unknown(repository, reference);
            }
            return;
        }
        Digest digest = resolve(repository, reference);
        for (String tag : tags.tagsPointingAt(repository, digest)) {
            tags.untag(repository, tag);
        }
        revisions.delete(repository, digest);
    }

    /** A stored manifest, parsed, with its size in bytes. */
    record ParsedStored(ParsedManifest manifest, long size) {
    }

    /**
     * {@code use} applied to the manifest of {@code digest}, parsed, while its share of the memory budget is
     * held; empty when the store does not have it (or it does not parse).
     */
    <T> Optional<T> withParsedStored(Digest digest, Function<ParsedStored, T> use) {
        Optional<Documents.Held> stored = documents.read(StorePaths.blobData(digest), PARSED_FACTOR);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try (Documents.Held held = stored.get()) {
            ParsedManifest parsed = ParsedManifest.parse(held.content(), null, json);
            return Optional.ofNullable(use.apply(new ParsedStored(parsed, held.content().length)));
        } catch (RegistryException e) {
            return Optional.empty();
        }
    }

    private Digest resolve(RepositoryName repository, String reference) {
        if (Digest.looksLikeDigest(reference)) {
            Digest digest = Digest.parse(reference);
            return find(repository, digest).orElseThrow(() -> unknown(repository, reference));
        }
        // A tag that breaks the grammar cannot name a manifest: unknown (only a push with it is TAG_INVALID).
        return tags.resolve(repository, reference)
                .flatMap(digest -> find(repository, digest))
                .orElseThrow(() -> unknown(repository, reference));
    }

    /** The pushed manifest, held with a share of the memory budget big enough to parse it too. */
    private Documents.Held readBounded(InputStream body, long declaredLength) {
        int limit = (int) properties.maxSize().toBytes();
        try {
            Documents.Held content = documents.readBody(body, declaredLength, limit, PARSED_FACTOR + 1);
            if (content == null) {
                throw new RegistryException(ErrorCode.MANIFEST_TOO_LARGE,
                        "manifests may be at most " + limit + " bytes");
            }
            return content;
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the manifest body broke off: " + e.getMessage());
        }
    }

    private static RegistryException unknown(RepositoryName repository, String reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                "manifest " + reference + " is not known in repository " + repository, reference);
    }

    private static byte[] link(Digest digest) {
        return digest.toString().getBytes(StandardCharsets.UTF_8);
    }
}
