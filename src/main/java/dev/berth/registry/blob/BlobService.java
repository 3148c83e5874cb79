package dev.berth.registry.blob;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.gc.BlobRescue;
import dev.berth.storage.RedirectProperties;
import dev.berth.storage.StorageDriver;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.springframework.stereotype.Service;

/**
 * Blobs are stored once by digest and made visible to a repository by a link, as in Distribution: a
 * repository can read a blob only once it was pushed (or mounted) there.
 */
@Service
public class BlobService {

    private final StorageDriver store;
    private final RedirectProperties redirect;
    private final BlobRescue rescue;

    public BlobService(StorageDriver store, RedirectProperties redirect, BlobRescue rescue) {
        this.store = store;
        this.redirect = redirect;
        this.rescue = rescue;
    }

    /** Where readers may fetch the blob from the store directly, when redirects are on and the store signs URLs. */
    public Optional<URI> directUrl(Digest digest) {
        return redirect.enabled() ? store.readUrl(StorePaths.blobData(digest), redirect.lifetime()) : Optional.empty();
    }

    /** The blob as {@code repository} sees it, or empty when it is not linked there or its data is gone. */
    public Optional<BlobInfo> find(RepositoryName repository, Digest digest) {
        if (!isLinked(repository, digest)) {
            return Optional.empty();
        }
        return findStored(digest);
    }

    public BlobInfo require(RepositoryName repository, Digest digest) {
        return find(repository, digest).orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN,
                "blob " + digest + " is not known in repository " + repository, digest.toString()));
    }

    /** The blob's data in the shared blob store, whichever repositories link it. */
    public Optional<BlobInfo> findStored(Digest digest) {
        return store.stat(StorePaths.blobData(digest)).map(info -> new BlobInfo(digest, info.size()));
    }

    public InputStream open(Digest digest, long offset) {
        return store.read(StorePaths.blobData(digest), offset);
    }

    /** The blob's data as a local file, when the store keeps it as one (the filesystem store does). */
    public Optional<Path> localFile(Digest digest) {
        return store.localFile(StorePaths.blobData(digest));
    }

    /** A repository holds a blob it was pushed or mounted, and also its own manifests, as in Distribution. */
    public boolean isLinked(RepositoryName repository, Digest digest) {
        return store.stat(StorePaths.layerLink(repository, digest)).isPresent()
                || store.stat(StorePaths.manifestRevisionLink(repository, digest)).isPresent();
    }

    private boolean isLayer(RepositoryName repository, Digest digest) {
        return store.stat(StorePaths.layerLink(repository, digest)).isPresent();
    }

    public void link(RepositoryName repository, Digest digest) {
        store.writeBytes(StorePaths.layerLink(repository, digest), digest.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Removes the blob from the repository; the data stays for other repositories (and garbage collection). */
    public void delete(RepositoryName repository, Digest digest) {
        if (!isLayer(repository, digest)) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN,
                    "blob " + digest + " is not known in repository " + repository, digest.toString());
        }
        store.delete(StorePaths.layer(repository, digest));
    }

    /**
     * Links a blob of {@code source} into {@code target} without any upload, when {@code source} has it.
     * Returns empty when it does not, or when the garbage collector is deleting the blob, so the caller falls
     * back to an ordinary upload.
     */
    public Optional<BlobInfo> mount(RepositoryName target, RepositoryName source, Digest digest) {
        if (!rescue.rescue(digest)) {
            return Optional.empty();
        }
        Optional<BlobInfo> blob = find(source, digest);
        blob.ifPresent(found -> link(target, digest));
        return blob;
    }
}
