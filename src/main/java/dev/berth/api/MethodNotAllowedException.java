package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import java.util.Map;

/** The route exists but not with this HTTP method; the answer lists the methods it takes ({@code Allow}). */
class MethodNotAllowedException extends RegistryException {

    MethodNotAllowedException(String method, String... allowed) {
        super(ErrorCode.UNSUPPORTED, method + " is not supported here; use " + String.join(", ", allowed), null,
                Map.of("Allow", String.join(", ", allowed)), null);
    }
}
