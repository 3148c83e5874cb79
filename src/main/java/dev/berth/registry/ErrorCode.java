package dev.berth.registry;

/** The error codes of the OCI Distribution Spec (and Distribution's additions), with their HTTP status. */
public enum ErrorCode {
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN(404, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(400, "manifest invalid"),
    MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
    NAME_INVALID(400, "invalid repository name"),
    NAME_UNKNOWN(404, "repository name not known to registry"),
    SIZE_INVALID(400, "provided length did not match content length"),
    TAG_INVALID(400, "manifest tag did not match URI"),
    RANGE_INVALID(416, "invalid content range"),
    PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
    UNAUTHORIZED(401, "authentication required"),
    DENIED(403, "requested access to the resource is denied"),
    UNSUPPORTED(405, "the operation is unsupported"),
    MANIFEST_TOO_LARGE(413, "manifest too large"),
    ROUTE_UNKNOWN(404, "no such API route"),
    PATH_NOT_CANONICAL(400, "the request path is not in canonical form"),
    TOOMANYREQUESTS(429, "too many requests"),
    UNAVAILABLE(503, "the storage behind the registry is unavailable; retry later"),
    /** A cached repository's upstream registry failed (Berth's own: the body's code is UNKNOWN). */
    UPSTREAM_FAILED(502, "the upstream registry of this cached repository failed");

    private final int status;
    private final String message;

    ErrorCode(int status, String message) {
        this.status = status;
        this.message = message;
    }

    public int status() {
        return status;
    }

    public String message() {
        return message;
    }

    /** The code as the spec spells it in error bodies. */
    public String code() {
        return switch (this) {
            case MANIFEST_TOO_LARGE -> "SIZE_INVALID";
            case ROUTE_UNKNOWN, PATH_NOT_CANONICAL -> "UNSUPPORTED";
            case UPSTREAM_FAILED -> "UNKNOWN";
            default -> name();
        };
    }
}
