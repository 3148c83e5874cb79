package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.upload.UploadService;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Fetches one blob from the upstream for the replica holding its {@link FetchLease}: streams it to the client
 * while writing it into an ordinary upload of the cached repository, a chunk at a time. After each chunk the
 * bytes so far are made readable to every replica ({@link UploadService#publishReceived}) and recorded in
 * {@link FetchProgress}, so requests elsewhere stream the blob as it arrives ({@link FetchFollower}). The
 * upload's commit verifies the digest before the blob becomes visible; the client receives its last byte
 * only then ({@link HeldBackCopy}). Memory stays bounded by the upload's buffers.
 */
@Component
class BlobFetcher {

    /** Bytes written between two publications: how far behind this fetch a follower on another replica lags. */
    static final long CHUNK = 8L << 20;

    private final UploadService uploads;
    private final FetchProgress progress;
    private final ProxyEvents events;

    BlobFetcher(UploadService uploads, FetchProgress progress, Optional<ProxyEvents> events) {
        this.uploads = uploads;
        this.progress = progress;
        this.events = events.orElse(ProxyEvents.NONE);
    }

    /**
     * Fetches {@code digest}, stores it verified and streams it to {@code client} from where it stands; the
     * caller holds the blob's {@link FetchLease}.
     */
    void fetch(CachedRepository repository, Digest digest, ClientStream client) throws IOException {
        events.miss(ProxyEvents.Kind.BLOB);
        UpstreamRegistry.Answer answer = repository.upstream()
                .fetch(repository.upstreamName(), "blobs", digest.toString(), false)
                .orElseThrow(() -> CachedBlobs.unknownBlob(repository, digest));
        try (answer) {
            long size = answer.contentLength();
            client.open(size);
            HeldBackCopy copy = new HeldBackCopy(answer.body(), client);
            try {
                store(repository, digest, copy, size);
            } catch (RegistryException e) {
                if (e instanceof UpstreamException || e.code() == ErrorCode.UNAVAILABLE
                        || e.code() == ErrorCode.TOOMANYREQUESTS) {
                    throw e;
                }
                // The upload refused what the upstream sent: cut off, too short or long, or another digest.
                events.upstreamError(0);
                throw new UpstreamException(0, "the upstream's blob " + digest + " of " + repository.upstreamName()
                        + " was not stored: " + e.getMessage());
            } finally {
                events.upstreamBytes(copy.count());
            }
            copy.release();
        }
    }

    private void store(CachedRepository repository, Digest digest, HeldBackCopy copy, long size) {
        RepositoryName name = repository.name();
        String id = uploads.start(name).id();
        boolean stored = false;
        try {
            progress.record(digest, new FetchProgress.Entry(name.toString(), id, size, 0));
            boolean shared = true;
            while (true) {
                Chunk chunk = new Chunk(copy);
                uploads.append(name, id, chunk, null, -1);
                if (chunk.remaining > 0) {
                    break; // the body ended: this last chunk is seen by others only as the verified blob
                }
                if (shared) {
                    long readable = uploads.publishReceived(name, id);
                    shared = readable >= 0;
                    if (shared) {
                        progress.record(digest, new FetchProgress.Entry(name.toString(), id, size, readable));
                    }
                }
            }
            if (size >= 0 && copy.count() != size) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "the upstream announced " + size
                        + " bytes but sent " + copy.count());
            }
            uploads.complete(name, id, digest, InputStream.nullInputStream(), 0);
            stored = true;
        } finally {
            progress.clear(digest);
            if (!stored) {
                uploads.discard(name, id);
            }
        }
    }

    /** At most {@link #CHUNK} bytes of the body: one chunk of the upload. */
    private static final class Chunk extends FilterInputStream {

        long remaining = CHUNK;

        Chunk(InputStream body) {
            super(body);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) {
            return 0;
        }

        @Override
        public void close() {
            // the body goes on with the next chunk
        }
    }
}
