package dev.berth.registry;

/** A request broke a rule of the spec; carries the OCI error code the client receives. */
public class RegistryException extends RuntimeException {

    private final ErrorCode code;
    private final transient Object detail;

    public RegistryException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        super(message);
        this.code = code;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    /** Extra structured information for the error body's {@code detail}, or null. */
    public Object detail() {
        return detail;
    }
}
