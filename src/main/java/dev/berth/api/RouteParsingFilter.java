package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Parses the route of every {@code /v2} request once, from the path the servlet container actually serves
 * (after it dropped {@code ;parameters}, decoded escapes and removed dot segments), so that access control,
 * the endpoints, metrics and logs all act on the same route. A request whose raw path differs from the path
 * served is refused before anything else happens: such a path names one thing to a proxy or an access rule
 * and another to the registry, so Berth never guesses which was meant.
 */
public final class RouteParsingFilter extends OncePerRequestFilter {

    private static final String ROUTE = RegistryRoute.class.getName();
    private static final String FAILURE = ROUTE + ".failure";

    private final OciErrorHandler errors;

    RouteParsingFilter(OciErrorHandler errors) {
        this.errors = errors;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String raw = request.getRequestURI().substring(request.getContextPath().length());
        String served = servedPath(request);
        String problem = canonicalProblem(raw, served);
        if (problem != null) {
            errors.handle(new RegistryException(ErrorCode.PATH_NOT_CANONICAL, "the request path " + problem
                    + "; send the path exactly as /v2/<name>/..., with no escapes other than %3A"), request, response);
            return;
        }
        try {
            RegistryRoute route = RegistryRoute.parseRequestPath(served);
            if (route != null) {
                request.setAttribute(ROUTE, route);
            }
        } catch (RegistryException invalid) {
            request.setAttribute(FAILURE, invalid);
        }
        chain.doFilter(request, response);
    }

    /** The route of a {@code /v2} request, parsed by this filter; empty for an unknown route or invalid name. */
    public static Optional<RegistryRoute> parsedRoute(HttpServletRequest request) {
        return Optional.ofNullable((RegistryRoute) request.getAttribute(ROUTE));
    }

    /** The route to serve: throws what the parse found wrong, or ROUTE_UNKNOWN when the path names none. */
    static RegistryRoute requireRoute(HttpServletRequest request) {
        RegistryException failure = (RegistryException) request.getAttribute(FAILURE);
        if (failure != null) {
            throw failure;
        }
        return parsedRoute(request).orElseThrow(() -> new RegistryException(ErrorCode.ROUTE_UNKNOWN,
                "no API route matches " + servedPath(request)));
    }

    private static String servedPath(HttpServletRequest request) {
        String info = request.getPathInfo();
        return request.getServletPath() + (info == null ? "" : info);
    }

    /**
     * Why {@code raw} is not the canonical form of {@code served}, or null when it is. The one escape allowed
     * is {@code %3A} (a digest's colon), which some clients encode; every other difference means the
     * container rewrote the path.
     */
    static String canonicalProblem(String raw, String served) {
        if (raw.indexOf(';') >= 0) {
            return "carries ;parameters";
        }
        String unescaped = raw.replace("%3A", ":").replace("%3a", ":");
        if (unescaped.indexOf('%') >= 0) {
            return "carries percent-escapes";
        }
        if (unescaped.contains("//")) {
            return "has an empty segment (//)";
        }
        if (unescaped.contains("/./") || unescaped.contains("/../") || unescaped.endsWith("/.")
                || unescaped.endsWith("/..")) {
            return "has dot segments";
        }
        if (!unescaped.equals(served)) {
            return "is not the path served";
        }
        return null;
    }
}
