package dev.berth.api;

import dev.berth.registry.events.RequestFacts;
import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;

/** The facts of an HTTP request that a notification event carries ({@link RequestFacts}). */
public final class RequestFactsOf {

    /**
     * Request attribute: the user or token subject the request's credentials proved. Set by access control (a
     * filter in front of this layer), read here for events and by the access log.
     */
    public static final String USER_ATTRIBUTE = "dev.berth.auth.AccessControlFilter.user";

    private RequestFactsOf() {
    }

    public static RequestFacts request(HttpServletRequest request) {
        String id = request.getHeader("X-Request-Id");
        String host = request.getHeader("Host");
        Object user = request.getAttribute(USER_ATTRIBUTE);
        return new RequestFacts(id == null || id.isBlank() ? UUID.randomUUID().toString() : id,
                request.getRemoteAddr() + ":" + request.getRemotePort(), host, request.getMethod(),
                request.getHeader("User-Agent"), user instanceof String name && !name.isBlank() ? name : null,
                host == null ? null : request.getScheme() + "://" + host);
    }
}
