package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;

/** The referrers API: the manifests in a repository whose {@code subject} is a given manifest. */
@Service
public class ReferrersService {

    private final StorageDriver store;
    private final ManifestService manifests;

    public ReferrersService(StorageDriver store, ManifestService manifests) {
        this.store = store;
        this.manifests = manifests;
    }

    /**
     * Every referrer of {@code subject}, keeping only those of {@code artifactType} when it is not null. An
     * unknown subject simply has no referrers, as the spec asks.
     */
    public List<Referrer> referrers(RepositoryName repository, Digest subject, String artifactType) {
        List<Referrer> result = new ArrayList<>();
        String algorithmFolder = StorePaths.referrers(repository, subject) + "/sha256";
        for (String hex : store.list(algorithmFolder)) {
            Digest referrer;
            try {
                referrer = Digest.sha256(hex);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (manifests.find(repository, referrer).isEmpty()) {
                continue;
            }
            Optional<ManifestService.ParsedStored> stored = manifests.parsedStored(referrer);
            if (stored.isEmpty()) {
                continue;
            }
            ParsedManifest manifest = stored.get().manifest();
            String type = manifest.effectiveArtifactType();
            if (artifactType != null && !artifactType.equals(type)) {
                continue;
            }
            result.add(new Referrer(manifest.mediaType(), referrer.toString(), stored.get().size(), type,
                    manifest.annotations()));
        }
        return result;
    }
}
