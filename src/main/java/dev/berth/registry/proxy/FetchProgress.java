package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The record of a blob fetch in progress ({@link StorePaths#proxyFetchProgress}), kept by the replica holding
 * its {@link FetchLease}: which upload the blob is being written into and how many of its bytes any replica
 * may read already, so that a request on another replica streams the blob as it arrives instead of waiting
 * for its end. Rewritten after each chunk; deleted when the fetch ends.
 */
@Component
class FetchProgress {

    /**
     * @param repository the cached repository whose upload receives the blob
     * @param upload the upload's id
     * @param size the blob's size as the upstream announced it, or -1
     * @param readable how many of its bytes the upload's data shows already
     */
    record Entry(String repository, String upload, long size, long readable) {
    }

    private final StorageDriver store;
    private final JsonMapper json;

    FetchProgress(StorageDriver store, JsonMapper json) {
        this.store = store;
        this.json = json;
    }

    void record(Digest digest, Entry entry) {
        store.writeBytes(StorePaths.proxyFetchProgress(digest), json.writeValueAsBytes(entry));
    }

    /** The fetch's progress; empty when none is recorded (or the record is unreadable). */
    Optional<Entry> find(Digest digest) {
        return store.readBytes(StorePaths.proxyFetchProgress(digest)).flatMap(content -> {
            try {
                return Optional.of(json.readValue(content, Entry.class));
            } catch (JacksonException e) {
                return Optional.empty();
            }
        });
    }

    void clear(Digest digest) {
        store.delete(StorePaths.proxyFetchProgress(digest));
    }
}
