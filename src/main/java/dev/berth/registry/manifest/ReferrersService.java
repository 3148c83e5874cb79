package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.ObjectInfo;
import dev.berth.storage.StorageDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * The referrers API: the manifests in a repository whose {@code subject} is a given manifest. Each referrer's
 * descriptor is stored as JSON when the referrer is pushed, so a listing copies small records, never reads
 * the manifests, and never parses more of a record than its {@code artifactType}. A page is bounded by count
 * and by the size of its descriptors, decided from the store's listing and sizes before anything is read,
 * and its descriptors are then handed out one at a time, each under its own share of the memory budget.
 */
@Service
public class ReferrersService {

    /** Descriptors on one page stop being added once they exceed this many bytes (at least one is). */
    static final long PAGE_BYTES = 256 * 1024;

    private final StorageDriver store;
    private final ManifestService manifests;
    private final JsonMapper json;
    private final Documents documents;

    public ReferrersService(StorageDriver store, ManifestService manifests, JsonMapper json, Documents documents) {
        this.store = store;
        this.manifests = manifests;
        this.json = json;
        this.documents = documents;
    }

    /** Up to {@code limit} referrers of {@code subject} after {@code after} (a referrer's hex, or null). */
    public ReferrersPage page(RepositoryName repository, Digest subject, String after, int limit) {
        List<String> listed = store.list(StorePaths.referrers(repository, subject) + "/sha256", after, limit + 1);
        List<Digest> page = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < Math.min(limit, listed.size()); i++) {
            if (bytes >= PAGE_BYTES) {
                return new ReferrersPage(page, listed.get(i - 1));
            }
            Digest referrer;
            try {
                referrer = Digest.sha256(listed.get(i));
            } catch (IllegalArgumentException e) {
                continue;
            }
            page.add(referrer);
            bytes += store.stat(StorePaths.referrerDescriptor(repository, subject, referrer)).map(ObjectInfo::size)
                    .orElse(0L);
        }
        return new ReferrersPage(page, listed.size() > limit ? listed.get(limit - 1) : null);
    }

    /**
     * Hands {@code write} the stored descriptor (JSON) of each referrer of the page that is still in the
     * repository and, when {@code artifactType} is not null, of that type; each is held only while written.
     * An unknown subject simply has no referrers, as the spec asks.
     */
    public void descriptors(RepositoryName repository, Digest subject, ReferrersPage page, String artifactType,
            Consumer<byte[]> write) {
        for (Digest referrer : page.referrers()) {
            if (manifests.find(repository, referrer).isEmpty()) {
                continue;
            }
            Optional<Documents.Held> descriptor = descriptor(repository, subject, referrer);
            if (descriptor.isEmpty()) {
                continue;
            }
            try (Documents.Held held = descriptor.get()) {
                if (artifactType == null || artifactType.equals(artifactType(held.content()))) {
                    write.accept(held.content());
                }
            }
        }
    }

    /**
     * The stored descriptor of a referrer; for one listed by an earlier Berth build (a link only), it is made
     * from the manifest once and stored.
     */
    private Optional<Documents.Held> descriptor(RepositoryName repository, Digest subject, Digest referrer) {
        String path = StorePaths.referrerDescriptor(repository, subject, referrer);
        Optional<Documents.Held> stored = documents.read(path, 1);
        if (stored.isPresent()) {
            return stored;
        }
        manifests.withParsedStored(referrer, parsed -> json.writeValueAsBytes(Referrer.of(referrer,
                parsed.manifest(), parsed.size()))).ifPresent(made -> store.writeBytes(path, made));
        return documents.read(path, 1);
    }

    /** The {@code artifactType} of a stored descriptor, read without parsing the rest (it comes first). */
    private String artifactType(byte[] descriptor) {
        try (JsonParser parser = json.createParser(descriptor)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals("artifactType")) {
                    return parser.getValueAsString();
                }
                parser.skipChildren();
            }
            return null;
        } catch (JacksonException e) {
            return null;
        }
    }
}
