package dev.berth.registry.proxy;

import dev.berth.memory.BufferPool;
import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.upload.UploadService;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Streams a blob that another request (on this replica or another) is fetching from the upstream: the bytes
 * its {@link FetchProgress} says are readable, read from its upload as they arrive, then the rest from the
 * stored blob once the fetch committed it. The last byte of the blob comes only from the stored blob, so a
 * fetch that turns out corrupted never completes a follower's answer either.
 */
@Component
class FetchFollower {

    /** What one look at the fetch achieved. */
    enum Step {
        /** The blob is stored and nothing was sent yet: it is served from the store like any other. */
        STORED,
        /** The client has been sent the whole blob. */
        DONE,
        /** More of the blob was sent. */
        MOVED,
        /** Nothing new is readable yet. */
        WAITING
    }

    private final UploadService uploads;
    private final BlobService blobs;
    private final FetchProgress progress;
    private final BufferPool buffers;

    FetchFollower(UploadService uploads, BlobService blobs, FetchProgress progress, BufferPool buffers) {
        this.uploads = uploads;
        this.blobs = blobs;
        this.progress = progress;
        this.buffers = buffers;
    }

    /** Sends the client what the fetch of {@code digest} has made readable beyond what it has. */
    Step step(Digest digest, ClientStream client) throws IOException {
        Optional<BlobInfo> stored = blobs.findStored(digest);
        if (stored.isPresent()) {
            if (!client.isOpen()) {
                return Step.STORED;
            }
            try (InputStream in = blobs.open(digest, client.sent())) {
                copy(in, client, stored.get().size());
            }
            client.flush();
            return Step.DONE;
        }
        Optional<FetchProgress.Entry> fetch = progress.find(digest);
        if (fetch.isEmpty()) {
            return Step.WAITING;
        }
        // The byte at readable - 1 may be the blob's last: it waits for the verified blob.
        long end = fetch.get().readable() - 1;
        if (end <= client.sent()) {
            return Step.WAITING;
        }
        Optional<InputStream> data = uploads.readReceived(new RepositoryName(fetch.get().repository()),
                fetch.get().upload(), client.sent());
        if (data.isEmpty()) {
            return Step.WAITING; // committed or given up meanwhile: the next look tells which
        }
        client.open(fetch.get().size());
        try (InputStream in = data.get()) {
            copy(in, client, end);
        }
        client.flush();
        return Step.MOVED;
    }

    /** Copies from {@code in}, positioned at the bytes the client has, until the client has {@code end}. */
    private void copy(InputStream in, ClientStream client, long end) throws IOException {
        try (BufferPool.Lease lease = buffers.lease(1, 1)) {
            byte[] buffer = lease.take();
            try {
                while (client.sent() < end && !client.isGone()) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, end - client.sent()));
                    if (n < 0) {
                        throw new IOException("the blob's data ended at byte " + client.sent() + " of " + end);
                    }
                    client.write(client.sent(), buffer, 0, n);
                }
            } finally {
                lease.give(buffer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a buffer", e);
        }
    }
}
