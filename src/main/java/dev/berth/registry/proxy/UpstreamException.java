package dev.berth.registry.proxy;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import java.util.Map;

/**
 * The upstream registry could not serve what a cached repository needed: unreachable, an error status, or
 * content that did not match its digest. Answered 502 (429 when the upstream limits the rate), and a cached
 * tag is served stale instead where there is one.
 */
public class UpstreamException extends RegistryException {

    private final int status;

    /** @param status the upstream's HTTP status, 0 when it gave none (unreachable, timed out, bad content) */
    UpstreamException(int status, String message, Map<String, String> headers) {
        super(status == 429 ? ErrorCode.TOOMANYREQUESTS : ErrorCode.UPSTREAM_FAILED, message, null, headers, null);
        this.status = status;
    }

    UpstreamException(int status, String message) {
        this(status, message, Map.of());
    }

    public int status() {
        return status;
    }

    @Override
    public boolean isRegistryFault() {
        return true;
    }
}
