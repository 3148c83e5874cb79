package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import org.springframework.stereotype.Component;

/**
 * How many uploads holding data one repository may have at once ({@link UploadProperties#maxOpenPerRepository()}),
 * checked before an upload's first data: its folder in the store is what counts, so sessions that never
 * received data cost nothing and do not count.
 */
@Component
class OpenUploadsLimit {

    private final StorageDriver store;
    private final int maxOpenPerRepository;

    OpenUploadsLimit(StorageDriver store, UploadProperties properties) {
        this.store = store;
        this.maxOpenPerRepository = properties.maxOpenPerRepository();
    }

    /** Refuses one more upload holding data (TOOMANYREQUESTS) when the repository has reached the limit. */
    void requireRoom(RepositoryName repository) {
        if (maxOpenPerRepository > 0 && store.list(StorePaths.uploads(repository), null, maxOpenPerRepository)
                .size() >= maxOpenPerRepository) {
            throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "repository " + repository + " has "
                    + maxOpenPerRepository + " uploads in progress already; finish or cancel some, or retry later");
        }
    }
}
