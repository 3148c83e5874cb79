package dev.berth.registry.upload;

import dev.berth.memory.BufferPool;
import dev.berth.registry.blob.BlobService;
import dev.berth.storage.StorageDriver;
import java.time.Clock;
import java.util.Optional;

/** The upload services wired as the application wires them, on a store and clock of a test's choosing. */
final class UploadServices {

    private UploadServices() {
    }

    static UploadService uploadService(StorageDriver store, BlobService blobs, UploadStates states,
            UploadCommit commits, UploadWriters writers, BufferPool buffers, UploadProperties properties,
            Clock clock) {
        OpenUploads uploads = new OpenUploads(store, states, properties, Optional.empty(), Optional.of(clock));
        ChunkAppender chunks = new ChunkAppender(store, uploads, states, new OpenUploadsLimit(store, properties),
                writers, buffers, Optional.empty(), Optional.of(clock));
        UploadCompletion completion = new UploadCompletion(uploads, chunks, states, commits, blobs, Optional.empty(),
                Optional.of(clock));
        return new UploadService(uploads, chunks, completion, commits, store, Optional.empty(), Optional.of(clock));
    }
}
