package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.tag.TagService;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Manifests: validated on push (well-formed, consistent media type, every referenced blob or child
 * manifest present in the repository), stored as blobs, and linked as revisions and tags.
 */
@Service
public class ManifestService {

    /**
     * Media types of manifests already read, by digest: content-addressed, so they never change, and
     * serving a manifest then needs no JSON parsing. Emptied when it grows past its bound.
     */
    private static final int MEDIA_TYPE_CACHE_SIZE = 10_000;
    private final Map<Digest, String> mediaTypes = new ConcurrentHashMap<>();

    private final StorageDriver store;
    private final BlobService blobs;
    private final TagService tags;
    private final JsonMapper json;
    private final ManifestProperties properties;

    public ManifestService(StorageDriver store, BlobService blobs, TagService tags, JsonMapper json,
            ManifestProperties properties) {
        this.store = store;
        this.blobs = blobs;
        this.tags = tags;
        this.json = json;
        this.properties = properties;
    }

    /** Pushes a manifest under {@code reference}, a tag or the manifest's own digest. */
    public PushedManifest put(RepositoryName repository, String reference, String contentType, InputStream body) {
        byte[] content = readBounded(body);
        Digest digest = Digest.sha256(sha256Hex(content));
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
        checkReferencesExist(repository, manifest);

        if (blobs.findStored(digest).isEmpty()) {
            store.writeBytes(StorePaths.blobData(digest), content);
        }
        store.writeBytes(StorePaths.manifestRevisionLink(repository, digest), link(digest));
        if (manifest.subject() != null) {
            store.writeBytes(StorePaths.referrerLink(repository, manifest.subject().digest(), digest), link(digest));
        }
        if (!Digest.looksLikeDigest(reference)) {
            tags.tag(repository, reference, digest);
        }
        return new PushedManifest(digest, manifest.subject() == null ? null : manifest.subject().digest());
    }

    /**
     * The manifest a tag or digest names. When the client lists the media types it accepts and the stored
     * manifest's is not among them, it is reported unknown, as Distribution does.
     */
    public StoredManifest get(RepositoryName repository, String reference, List<String> accepted) {
        Digest digest = resolve(repository, reference);
        byte[] content;
        try {
            content = store.readAll(StorePaths.blobData(digest));
        } catch (ObjectNotFoundException e) {
            throw unknown(repository, reference);
        }
        String mediaType = mediaTypes.computeIfAbsent(digest, d -> ParsedManifest.storedMediaType(content, json));
        if (mediaTypes.size() > MEDIA_TYPE_CACHE_SIZE) {
            mediaTypes.clear();
        }
        if (!accepted.isEmpty() && accepted.stream().noneMatch(type -> accepts(type, mediaType))) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is a " + mediaType
                    + ", which the request's Accept header does not list", reference);
        }
        return new StoredManifest(digest, mediaType, content);
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
            TagService.validate(reference);
            if (!tags.untag(repository, reference)) {
                throw unknown(repository, reference);
            }
            return;
        }
        Digest digest = resolve(repository, reference);
        for (String tag : tags.tagsPointingAt(repository, digest)) {
            tags.untag(repository, tag);
        }
        subjectOf(digest).ifPresent(subject ->
                store.delete(StorePaths.referrer(repository, subject, digest)));
        store.delete(StorePaths.manifestRevision(repository, digest));
    }

    /** A stored manifest, parsed, with its size in bytes. */
    record ParsedStored(ParsedManifest manifest, long size) {
    }

    /** The manifest of {@code digest}, parsed, when it is stored at all (for referrers). */
    Optional<ParsedStored> parsedStored(Digest digest) {
        try {
            byte[] content = store.readAll(StorePaths.blobData(digest));
            return Optional.of(new ParsedStored(ParsedManifest.parse(content, null, json), content.length));
        } catch (ObjectNotFoundException | RegistryException e) {
            return Optional.empty();
        }
    }

    private Optional<Digest> subjectOf(Digest digest) {
        return parsedStored(digest).map(stored -> stored.manifest().subject()).map(Descriptor::digest);
    }

    private Digest resolve(RepositoryName repository, String reference) {
        if (Digest.looksLikeDigest(reference)) {
            Digest digest = Digest.parse(reference);
            return find(repository, digest).orElseThrow(() -> unknown(repository, reference));
        }
        TagService.validate(reference);
        return tags.resolve(repository, reference)
                .flatMap(digest -> find(repository, digest))
                .orElseThrow(() -> unknown(repository, reference));
    }

    private void checkReferencesExist(RepositoryName repository, ParsedManifest manifest) {
        if (manifest.config() != null && blobs.find(repository, manifest.config().digest()).isEmpty()) {
            throw blobUnknown(manifest.config().digest(), "config");
        }
        for (Descriptor layer : manifest.layers()) {
            boolean external = layer.hasUrls() || MediaTypes.NON_DISTRIBUTABLE_LAYERS.contains(layer.mediaType());
            if (!external && blobs.find(repository, layer.digest()).isEmpty()) {
                throw blobUnknown(layer.digest(), "layer");
            }
        }
        for (Descriptor child : manifest.children()) {
            if (find(repository, child.digest()).isEmpty()) {
                throw blobUnknown(child.digest(), "child manifest");
            }
        }
    }

    private byte[] readBounded(InputStream body) {
        int limit = (int) properties.maxSize().toBytes();
        try {
            byte[] content = body.readNBytes(limit + 1);
            if (content.length > limit) {
                throw new RegistryException(ErrorCode.MANIFEST_TOO_LARGE,
                        "manifests may be at most " + limit + " bytes");
            }
            return content;
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the manifest body broke off: " + e.getMessage());
        }
    }

    private static RegistryException blobUnknown(Digest digest, String what) {
        return new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                "the manifest references " + what + " " + digest + ", which is not in this repository",
                digest.toString());
    }

    private static RegistryException unknown(RepositoryName repository, String reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                "manifest " + reference + " is not known in repository " + repository, reference);
    }

    private static byte[] link(Digest digest) {
        return digest.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String sha256Hex(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
