package dev.berth.registry.upload;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;

/**
 * Where an upload stands: the client resumes from {@code size}, or, when {@code committingAs} is not null, its
 * commit has begun and a repeated {@code PUT ?digest=} with that digest finishes it.
 */
public record UploadStatus(RepositoryName repository, String id, long size, Digest committingAs) {

    public UploadStatus(RepositoryName repository, String id, long size) {
        this(repository, id, size, null);
    }
}
