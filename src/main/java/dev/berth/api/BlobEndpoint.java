package dev.berth.api;

import dev.berth.memory.BufferPool;
import dev.berth.registry.Digest;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.events.RegistryNotifications;
import dev.berth.registry.proxy.CachedRepository;
import dev.berth.registry.proxy.CachedBlobs;
import dev.berth.registry.proxy.PullThroughCache;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** {@code /v2/<name>/blobs/<digest>}: read (whole or one range) and delete. */
@Component
class BlobEndpoint {

    /** Tomcat's request attributes for sending a file after the servlet returns (its DefaultServlet uses them). */
    private static final String SENDFILE_SUPPORT = "org.apache.tomcat.sendfile.support";
    private static final String SENDFILE_FILENAME = "org.apache.tomcat.sendfile.filename";
    private static final String SENDFILE_START = "org.apache.tomcat.sendfile.start";
    private static final String SENDFILE_END = "org.apache.tomcat.sendfile.end";

    /** Reads up to this size are copied through a buffer of their own, not one of the pool. */
    private static final long SMALL_COPY = 16 * 1024;

    /** Below this a plain copy is cheaper than setting up sendfile (Tomcat's DefaultServlet uses 48 KiB too). */
    private static final long SENDFILE_THRESHOLD = 48 * 1024;

    private final BlobService blobs;
    private final BufferPool buffers;
    private final RegistryNotifications notifications;
    private final PullThroughCache cache;
    private final CachedBlobs cachedBlobs;

    BlobEndpoint(BlobService blobs, BufferPool buffers, RegistryNotifications notifications, PullThroughCache cache,
            CachedBlobs cachedBlobs) {
        this.blobs = blobs;
        this.buffers = buffers;
        this.notifications = notifications;
        this.cache = cache;
        this.cachedBlobs = cachedBlobs;
    }

    void get(RegistryRoute route, HttpServletRequest request, HttpServletResponse response, boolean headOnly)
            throws IOException {
        Digest digest = Digest.parse(route.reference());
        Optional<CachedRepository> cached = cache.find(route.name());
        BlobInfo blob;
        if (cached.isPresent()) {
            CachedBlobs.BlobLookup found = cachedBlobs.find(cached.get(), digest, headOnly);
            Optional<BlobInfo> local = found.local();
            if (local.isEmpty()) {
                local = fromUpstream(cached.get(), digest, found.upstreamSize(), response, headOnly);
                if (local.isEmpty()) {
                    return;
                }
            }
            blob = local.get();
        } else {
            blob = blobs.require(route.name(), digest);
        }
        if (!headOnly) {
            Optional<URI> direct = blobs.directUrl(digest);
            if (direct.isPresent()) {
                // The client follows with its own Range header; the store answers ranges itself.
                response.setStatus(307);
                response.setHeader("Location", direct.get().toString());
                response.setHeader("Docker-Content-Digest", digest.toString());
                response.setContentLength(0);
                return;
            }
        }
        ByteRange range = ByteRange.parse(request.getHeader("Range"), blob.size());
        response.setHeader("Docker-Content-Digest", digest.toString());
        response.setHeader("ETag", "\"" + digest + "\"");
        response.setHeader("Accept-Ranges", "bytes");
        // Content addressed: the bytes behind a digest never change.
        response.setHeader("Cache-Control", "max-age=31536000");
        response.setContentType("application/octet-stream");
        long start = 0;
        long length = blob.size();
        if (range != null) {
            response.setStatus(HttpServletResponse.SC_PARTIAL_CONTENT);
            response.setHeader("Content-Range", "bytes " + range.start() + "-" + range.end() + "/" + blob.size());
            start = range.start();
            length = range.length();
        } else {
            response.setStatus(HttpServletResponse.SC_OK);
        }
        response.setContentLengthLong(length);
        if (headOnly || length == 0) {
            return;
        }
        if (length >= SENDFILE_THRESHOLD && Boolean.TRUE.equals(request.getAttribute(SENDFILE_SUPPORT))) {
            Optional<Path> file = blobs.localFile(digest);
            if (file.isPresent()) {
                // Tomcat sends the file with the kernel's sendfile once this method returns: no byte
                // passes through the heap.
                request.setAttribute(SENDFILE_FILENAME, file.get().toString());
                request.setAttribute(SENDFILE_START, start);
                request.setAttribute(SENDFILE_END, start + length);
                return;
            }
        }
        if (length <= SMALL_COPY) {
            try (InputStream in = blobs.open(digest, start)) {
                copy(in, response.getOutputStream(), length, new byte[(int) length]);
            }
            return;
        }
        // One buffer of the replica's pool, whatever the blob's size: a slow reader slows only itself.
        try (BufferPool.Lease lease = buffers.lease(1, 1); InputStream in = blobs.open(digest, start)) {
            copy(in, response.getOutputStream(), length, lease.take());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a buffer", e);
        }
    }

    /**
     * A blob of a cached repository the store lacks: for a {@code HEAD}, its size upstream; for a {@code GET},
     * the whole blob (a {@code Range} is answered whole, as HTTP allows) streamed from the upstream while it
     * is stored. The connection closes after the answer: if the blob turns out corrupted, the answer stops
     * short of its length and the client sees the failure instead of waiting for bytes that never come.
     * Returns the blob when another replica's fetch stored it meanwhile: it is served from the store.
     */
    private Optional<BlobInfo> fromUpstream(CachedRepository repository, Digest digest, long upstreamSize,
            HttpServletResponse response, boolean headOnly) throws IOException {
        if (headOnly) {
            response.setStatus(HttpServletResponse.SC_OK);
            response.setHeader("Docker-Content-Digest", digest.toString());
            response.setHeader("ETag", "\"" + digest + "\"");
            response.setContentType("application/octet-stream");
            if (upstreamSize >= 0) {
                response.setContentLengthLong(upstreamSize);
            }
            return Optional.empty();
        }
        return cachedBlobs.fetch(repository, digest, size -> {
            response.setStatus(HttpServletResponse.SC_OK);
            response.setHeader("Docker-Content-Digest", digest.toString());
            response.setHeader("ETag", "\"" + digest + "\"");
            response.setHeader("Connection", "close");
            response.setContentType("application/octet-stream");
            if (size >= 0) {
                response.setContentLengthLong(size);
            }
            return response.getOutputStream();
        });
    }

    void delete(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) {
        Digest digest = Digest.parse(route.reference());
        blobs.delete(route.name(), digest);
        notifications.blobDeleted(route.name(), digest, RequestFactsOf.request(request));
        response.setStatus(HttpServletResponse.SC_ACCEPTED);
        response.setContentLength(0);
    }

    private static void copy(InputStream in, OutputStream out, long length, byte[] buffer) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (n < 0) {
                throw new IOException("blob ended " + remaining + " bytes early");
            }
            out.write(buffer, 0, n);
            remaining -= n;
        }
    }
}
