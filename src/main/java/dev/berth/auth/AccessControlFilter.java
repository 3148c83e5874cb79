package dev.berth.auth;

import dev.berth.api.OciErrorHandler;
import dev.berth.api.QueryParameters;
import dev.berth.api.RegistryRoute;
import dev.berth.api.RequestFactsOf;
import dev.berth.api.RouteParsingFilter;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Access control for the registry API: takes the route {@link RouteParsingFilter} parsed (the one the
 * servlet serves), checks the credentials with the configured mode's {@link Authenticator}, asks
 * {@link RegistryAccess} (the web UI's rules too) whether they allow the request, and answers refusals
 * itself: {@code 401 UNAUTHORIZED} with a challenge naming the scope needed, or for valid credentials that
 * lack the action {@code 401} with {@code error="insufficient_scope"} (a token: the client may fetch a wider
 * one) or {@code 403 DENIED} (a password), so that clients stop at once instead of retrying. Failed password
 * logins are throttled per client and user. Headers and tokens are never logged.
 */
public class AccessControlFilter extends OncePerRequestFilter {

    /** Request attribute: the user or token subject the request's credentials proved, for the access log. */
    public static final String USER_ATTRIBUTE = RequestFactsOf.USER_ATTRIBUTE;

    private static final Logger log = LoggerFactory.getLogger(AccessControlFilter.class);

    private final Authenticator authenticator;
    private final RegistryAccess rules;
    private final LoginThrottle throttle;
    private final OciErrorHandler errors;

    AccessControlFilter(Authenticator authenticator, RegistryAccess rules, LoginThrottle throttle,
            OciErrorHandler errors) {
        this.authenticator = authenticator;
        this.rules = rules;
        this.throttle = throttle;
        this.errors = errors;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<RegistryRoute> route = RouteParsingFilter.parsedRoute(request);
        String method = request.getMethod();
        List<Access> required = required(route.orElse(null), method);
        String authorization = request.getHeader("Authorization");
        String scope = scope(required);

        if (authorization == null && !required.isEmpty() && required.stream().allMatch(rules::anonymous)) {
            chain.doFilter(request, response);
            return;
        }
        String client = request.getRemoteAddr();
        String claimed = HttpBasic.user(authorization);
        if (claimed != null) {
            Optional<Duration> wait = throttle.wait(client, claimed);
            if (wait.isPresent()) {
                long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
                log.debug("{} {} -> 429 (too many failed logins from {})", method, request.getRequestURI(), client);
                errors.handle(RegistryException.withHeaders(ErrorCode.TOOMANYREQUESTS, "too many failed logins from this"
                        + " client; retry in " + seconds + " s", Map.of("Retry-After", Long.toString(seconds))),
                        request, response);
                return;
            }
        }
        Authentication result = authenticator.authenticate(authorization);
        if (!result.succeeded()) {
            if (result.claimedUser() != null) {
                throttle.failed(client, result.claimedUser());
            }
            log.debug("{} {} -> 401 ({})", method, request.getRequestURI(), result.refusal());
            refuse(request, response, "authentication required",
                    authenticator.challenge(scope, authorization == null ? null : "invalid_token"));
            return;
        }
        if (claimed != null) {
            throttle.succeeded(client, claimed);
        }
        Identity identity = result.identity();
        request.setAttribute(USER_ATTRIBUTE, identity.subject());
        for (Access access : required) {
            if (!rules.allows(identity, access)) {
                boolean challenge = authenticator.widerScopeObtainable();
                log.debug("{} {} -> {} ({} lacks {}:{}:{})", method, request.getRequestURI(), challenge ? 401 : 403,
                        identity.subject(), access.type(), access.name(), access.action());
                if (challenge) {
                    refuse(request, response, "the credentials do not grant " + access.action() + " on "
                            + access.name(), authenticator.challenge(scope, "insufficient_scope"));
                } else {
                    errors.handle(new RegistryException(ErrorCode.DENIED, "requested access to the resource is denied: "
                            + identity.subject() + " may not " + access.action() + " " + access.name()), request,
                            response);
                }
                return;
            }
        }
        if (route.isPresent() && route.get().kind() == RegistryRoute.Kind.UPLOADS && method.equals("POST")) {
            dropUnauthorizedMount(request, identity);
        }
        chain.doFilter(request, response);
    }

    /** What a request needs: nothing beyond valid credentials for {@code /v2/} and unknown routes. */
    static List<Access> required(RegistryRoute route, String method) {
        if (route == null || route.kind() == RegistryRoute.Kind.BASE) {
            return List.of();
        }
        if (route.kind() == RegistryRoute.Kind.CATALOG) {
            return List.of(Access.catalog());
        }
        String action = switch (method) {
            case "GET", "HEAD" -> Access.PULL;
            case "DELETE" -> Access.DELETE;
            default -> Access.PUSH;
        };
        return List.of(Access.repository(route.name().value(), action));
    }

    /** The scope a challenge names: push operations ask for {@code pull,push}, as docker requests them. */
    private static String scope(List<Access> required) {
        return required.stream().map(a -> a.type() + ":" + a.name() + ":"
                + (a.action().equals(Access.PUSH) ? "pull,push" : a.action())).collect(Collectors.joining(" "));
    }

    /**
     * A cross-repository mount reads the {@code from} repository: without pull on it the mount parameters
     * are dropped, so the client gets an ordinary upload session (202) and uploads the blob itself, and
     * learns nothing about what the other repository holds.
     */
    private void dropUnauthorizedMount(HttpServletRequest request, Identity identity) {
        QueryParameters query = QueryParameters.of(request);
        if (!query.has("mount")) {
            return;
        }
        String from = query.get("from");
        if (from != null && RepositoryName.isValid(from)) {
            Access pullFrom = Access.repository(from, Access.PULL);
            if (rules.allows(identity, pullFrom)) {
                return;
            }
        }
        log.debug("cross-repository mount from {} not allowed for {}; starting an ordinary upload", from,
                identity.subject());
        query.replaceWithout(request, "mount", "from");
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, String message, String challenge)
            throws IOException {
        errors.handle(RegistryException.withHeaders(ErrorCode.UNAUTHORIZED, message,
                Map.of("WWW-Authenticate", challenge)), request, response);
    }
}
