package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.gc.BlobRescue;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Checks what a pushed manifest references before it is accepted: the config, every layer and every child
 * manifest must be in the repository, except foreign layers whose URLs the policy allows. A manifest may
 * carry a bounded number of descriptors, and each distinct digest is looked up once, however often it is
 * listed: each lookup is a store request. Before its lookup each digest is rescued from the garbage
 * collector ({@link BlobRescue}), so what the check finds stays until the manifest is written.
 */
final class ManifestReferences {

    private final BlobService blobs;
    private final BlobRescue rescue;
    private final int maxReferences;
    private final ForeignUrlPolicy urls;

    ManifestReferences(BlobService blobs, BlobRescue rescue, ManifestProperties properties) {
        this.blobs = blobs;
        this.rescue = rescue;
        this.maxReferences = properties.maxReferences();
        this.urls = new ForeignUrlPolicy(properties.urls());
    }

    /**
     * Checks the manifest's references and answers the digests it relies on (config, layers and children),
     * in a set the caller may add to.
     */
    Set<Digest> check(RepositoryName repository, ParsedManifest manifest, ManifestLookup manifests) {
        int count = (manifest.config() == null ? 0 : 1) + manifest.layers().size() + manifest.children().size();
        if (count > maxReferences) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the manifest has " + count
                    + " descriptors; at most " + maxReferences + " are accepted (berth.manifests.max-references)");
        }
        Set<Digest> checked = new HashSet<>();
        if (manifest.config() != null) {
            requireBlob(repository, manifest.config(), "config", checked);
        }
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            for (String url : layer.urls()) {
                String refusal = urls.refusal(url);
                if (refusal != null) {
                    throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                            "layers[" + i + "] url '" + url + "' " + refusal);
                }
            }
            boolean foreign = layer.hasUrls() && MediaTypes.NON_DISTRIBUTABLE_LAYERS.contains(layer.mediaType());
            if (!foreign) {
                requireBlob(repository, layer, "layer", checked);
            }
        }
        Set<Digest> checkedChildren = new HashSet<>();
        for (Descriptor child : manifest.children()) {
            if (checkedChildren.add(child.digest())) {
                requireRescued(child.digest(), "child manifest");
                if (!manifests.exists(repository, child.digest())) {
                    throw blobUnknown(child.digest(), "child manifest");
                }
            }
        }
        checked.addAll(checkedChildren);
        return checked;
    }

    /**
     * After a slow push wrote its manifest: whether everything it relies on is still stored and safe from the
     * collector (rescued again); the first blob that is not, if any.
     */
    Optional<Digest> firstLost(Set<Digest> reliedOn) {
        return reliedOn.stream().filter(digest -> !rescue.rescue(digest) || blobs.findStored(digest).isEmpty())
                .findFirst();
    }

    private void requireBlob(RepositoryName repository, Descriptor descriptor, String what, Set<Digest> checked) {
        if (checked.add(descriptor.digest())) {
            requireRescued(descriptor.digest(), what);
            if (blobs.find(repository, descriptor.digest()).isEmpty()) {
                throw blobUnknown(descriptor.digest(), what);
            }
        }
    }

    /** A blob the garbage collector is deleting is as good as gone: the client pushes it again. */
    private void requireRescued(Digest digest, String what) {
        if (!rescue.rescue(digest)) {
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "the manifest references " + what + " "
                    + digest + ", which is being garbage-collected; push it again", digest.toString());
        }
    }

    private static RegistryException blobUnknown(Digest digest, String what) {
        return new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                "the manifest references " + what + " " + digest + ", which is not in this repository",
                digest.toString());
    }

    /** Whether a manifest is in a repository: the one lookup of manifests this check needs. */
    interface ManifestLookup {
        boolean exists(RepositoryName repository, Digest digest);
    }
}
