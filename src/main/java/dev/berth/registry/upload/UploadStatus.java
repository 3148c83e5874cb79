package dev.berth.registry.upload;

import dev.berth.registry.RepositoryName;

/** Where an upload stands: the client resumes from {@code size}. */
public record UploadStatus(RepositoryName repository, String id, long size) {
}
