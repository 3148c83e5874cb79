package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;

/** The route exists but not with this HTTP method; the answer lists the methods it takes. */
class MethodNotAllowedException extends RegistryException {

    private final String[] allowed;

    MethodNotAllowedException(String method, String... allowed) {
        super(ErrorCode.UNSUPPORTED, method + " is not supported here; use " + String.join(", ", allowed));
        this.allowed = allowed;
    }

    String allowHeader() {
        return String.join(", ", allowed);
    }
}
