package dev.berth.registry;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request broke a rule of the spec, or the registry could not serve it; carries all of the answer but its
 * rendering: the OCI error code the client receives, the message, the body's detail, and the response
 * headers the spec asks for with it (where to resume an upload, which methods a route takes, when to retry).
 */
public class RegistryException extends RuntimeException {

    private final ErrorCode code;
    private final transient Object detail;
    private final transient Map<String, String> headers;

    public RegistryException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        this(code, message, detail, Map.of(), null);
    }

    /** A refusal whose answer carries {@code headers} too (a challenge, a time to retry after). */
    public static RegistryException withHeaders(ErrorCode code, String message, Map<String, String> headers) {
        return new RegistryException(code, message, null, headers, null);
    }

    /** {@code headers} in the order they are sent; {@code cause}: the failure this one reports, or null. */
    protected RegistryException(ErrorCode code, String message, Object detail, Map<String, String> headers,
            Throwable cause) {
        super(message, cause);
        this.code = code;
        this.detail = detail;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    public ErrorCode code() {
        return code;
    }

    /** Extra structured information for the error body's {@code detail}, or null. */
    public Object detail() {
        return detail;
    }

    /** The response headers that go with the error, by name, in the order they are sent. */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * Whether the registry itself failed (its store, its memory) rather than refused the request: worth a
     * warning in the log, where a refusal is logged only for debugging.
     */
    public boolean isRegistryFault() {
        return false;
    }

    /** What the log says of the failure after the request's method and path. */
    public String logText() {
        return " -> " + code + " " + getMessage();
    }
}
