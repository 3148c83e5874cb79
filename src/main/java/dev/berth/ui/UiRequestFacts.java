package dev.berth.ui;

import dev.berth.registry.events.RequestFacts;
import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;

/** The facts a notification event tells about a web UI request that changed the registry. */
final class UiRequestFacts {

    private UiRequestFacts() {
    }

    static RequestFacts of(HttpServletRequest request, Viewer viewer) {
        String id = request.getHeader("X-Request-Id");
        String host = request.getHeader("Host");
        return new RequestFacts(id == null || id.isBlank() ? UUID.randomUUID().toString() : id,
                request.getRemoteAddr() + ":" + request.getRemotePort(), host, request.getMethod(),
                request.getHeader("User-Agent"), viewer.user(),
                host == null ? null : request.getScheme() + "://" + host);
    }
}
