package dev.berth.api;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.blob.BlobInfo;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.events.RegistryNotifications;
import dev.berth.registry.upload.ChunkRange;
import dev.berth.registry.upload.UploadService;
import dev.berth.registry.upload.UploadStatus;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/** {@code /v2/<name>/blobs/uploads/[<uuid>]}: start (or mount, or push whole), send chunks, status, finish, cancel. */
@Component
class UploadEndpoint {

    /** {@code start-end} as the spec writes it; {@code bytes start-end/total} and {@code bytes=start-end} too. */
    private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes[ =])?\\s*(\\d+)-(\\d+)(?:/(?:\\d+|\\*))?");

    private final UploadService uploads;
    private final BlobService blobs;
    private final RegistryNotifications notifications;

    UploadEndpoint(UploadService uploads, BlobService blobs, RegistryNotifications notifications) {
        this.uploads = uploads;
        this.blobs = blobs;
        this.notifications = notifications;
    }

    void start(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        QueryParameters query = QueryParameters.of(request);
        RepositoryName name = route.name();
        String mount = query.get("mount");
        if (mount != null) {
            Digest digest = Digest.parse(mount);
            String from = query.get("from");
            Optional<BlobInfo> mounted = from != null && RepositoryName.isValid(from)
                    ? blobs.mount(name, new RepositoryName(from), digest)
                    : Optional.empty();
            if (mounted.isPresent()) {
                notifications.blobMounted(name, new RepositoryName(from), digest, mounted.get().size(),
                        RequestFactsOf.request(request));
                created(response, name, digest);
                return;
            }
            // Not mountable: the spec asks for an ordinary upload session instead.
        }
        String digest = query.get("digest");
        if (digest != null && mount == null) {
            BlobInfo blob = uploads.uploadWhole(name, Digest.parse(digest), request.getInputStream(),
                    bodyLength(request));
            created(response, name, blob.digest());
            return;
        }
        UploadStatus status = uploads.start(name);
        writeUploadHeaders(response, status);
        response.setStatus(HttpServletResponse.SC_ACCEPTED);
    }

    /** One chunk of the upload ({@link UploadService#append}); the answer tells where the upload now stands. */
    void patch(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        ChunkRange range = parseContentRange(request.getHeader("Content-Range"));
        UploadStatus status = uploads.append(route.name(), route.reference(), request.getInputStream(), range,
                bodyLength(request));
        writeUploadHeaders(response, status);
        response.setStatus(HttpServletResponse.SC_ACCEPTED);
    }

    void status(RegistryRoute route, HttpServletResponse response) {
        writeUploadHeaders(response, uploads.status(route.name(), route.reference()));
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    void complete(RegistryRoute route, HttpServletRequest request, HttpServletResponse response) throws IOException {
        String digest = QueryParameters.of(request).get("digest");
        if (digest == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID,
                    "finishing an upload needs the blob's digest as the 'digest' query parameter");
        }
        BlobInfo blob = uploads.complete(route.name(), route.reference(), Digest.parse(digest),
                request.getInputStream(), bodyLength(request));
        created(response, route.name(), blob.digest());
    }

    void cancel(RegistryRoute route, HttpServletResponse response) {
        uploads.cancel(route.name(), route.reference());
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    /**
     * The request body's length: Content-Length; unknown (-1) for a chunked body; none at all (0) when the
     * request has neither (RFC 9112, 6.3), so a bodiless final PUT is not read as a body of unknown length.
     */
    static long bodyLength(HttpServletRequest request) {
        long declared = request.getContentLengthLong();
        if (declared >= 0) {
            return declared;
        }
        return request.getHeader("Transfer-Encoding") != null ? -1 : 0;
    }

    /** The headers that tell a client where its upload stands ({@link UploadStatus#headers()}), and no body. */
    private static void writeUploadHeaders(HttpServletResponse response, UploadStatus status) {
        status.headers().forEach(response::setHeader);
        response.setContentLength(0);
    }

    private static void created(HttpServletResponse response, RepositoryName name, Digest digest) {
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setHeader("Location", "/v2/" + name + "/blobs/" + digest);
        response.setHeader("Docker-Content-Digest", digest.toString());
        response.setContentLength(0);
    }

    private static ChunkRange parseContentRange(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        Matcher m = CONTENT_RANGE.matcher(header.trim());
        if (!m.matches()) {
            throw new RegistryException(ErrorCode.RANGE_INVALID,
                    "Content-Range must be 'start-end' (bytes, end inclusive), not '" + header + "'");
        }
        try {
            long start = Long.parseLong(m.group(1));
            long end = Long.parseLong(m.group(2));
            if (end < start) {
                throw new RegistryException(ErrorCode.RANGE_INVALID, "Content-Range " + header + " ends before it starts");
            }
            return new ChunkRange(start, end);
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, "Content-Range " + header + " is out of bounds");
        }
    }
}
