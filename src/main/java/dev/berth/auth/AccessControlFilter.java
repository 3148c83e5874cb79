package dev.berth.auth;

import dev.berth.api.RegistryController;
import dev.berth.api.RegistryRoute;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Access control for the registry API: finds the repository and action of each {@code /v2} request with
 * {@link RegistryRoute#parse}, checks the credentials with the configured mode's {@link Authenticator},
 * and answers {@code 401 UNAUTHORIZED} with a challenge or {@code 403 DENIED} itself; allowed requests
 * reach the controllers unchanged. Headers and tokens are never logged.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
public class AccessControlFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(AccessControlFilter.class);

    private final Authenticator authenticator;
    private final List<Pattern> anonymousPull;

    public AccessControlFilter(AuthProperties properties) {
        this.authenticator = switch (properties.mode()) {
            case NONE -> null;
            case HTPASSWD -> new HtpasswdAuthenticator(properties.htpasswd().path(), properties.realm());
            case TOKEN -> new TokenAuthenticator(properties.token());
        };
        this.anonymousPull = properties.anonymousPull().stream().map(AccessControlFilter::globToRegex).toList();
        if (authenticator != null) {
            log.info("Registry API access control: mode {}, anonymous pull for {}",
                    properties.mode().name().toLowerCase(), properties.anonymousPull());
        }
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return authenticator == null || !request.getRequestURI().startsWith("/v2");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        RegistryRoute route;
        try {
            route = RegistryRoute.parseRequestPath(path);
        } catch (RegistryException invalidName) {
            route = null;
        }
        if (route != null) {
            request.setAttribute(RegistryController.ROUTE_ATTRIBUTE, route);
        }
        String method = request.getMethod();
        List<Access> required = required(route, method);
        String authorization = request.getHeader("Authorization");
        String scope = scope(required, method);

        if (authorization == null && !required.isEmpty() && required.stream().allMatch(this::anonymous)) {
            chain.doFilter(request, response);
            return;
        }
        String[] reason = new String[1];
        Identity identity = authenticator.authenticate(authorization, reason);
        if (identity == null) {
            log.debug("{} {} -> 401 ({})", method, path, reason[0]);
            refuse(response, ErrorCode.UNAUTHORIZED, authenticator.challenge(scope, authorization == null ? null
                    : "invalid_token"));
            return;
        }
        for (Access access : required) {
            if (!identity.allows(access) && !anonymous(access)) {
                log.debug("{} {} -> 403 ({} lacks {}:{}:{})", method, path, identity.subject(),
                        access.type(), access.name(), access.action());
                refuse(response, ErrorCode.DENIED, authenticator.challenge(scope, "insufficient_scope"));
                return;
            }
        }
        HttpServletRequest forwarded = request;
        if (route != null && route.kind() == RegistryRoute.Kind.UPLOADS && method.equals("POST")) {
            forwarded = withoutUnauthorizedMount(request, identity);
        }
        chain.doFilter(forwarded, response);
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
    private static String scope(List<Access> required, String method) {
        return required.stream().map(a -> a.type() + ":" + a.name() + ":"
                + (a.action().equals(Access.PUSH) ? "pull,push" : a.action())).collect(Collectors.joining(" "));
    }

    private boolean anonymous(Access access) {
        return access.type().equals("repository") && access.action().equals(Access.PULL)
                && anonymousPull.stream().anyMatch(p -> p.matcher(access.name()).matches());
    }

    /**
     * A cross-repository mount reads the {@code from} repository: without pull on it the mount parameters
     * are dropped, so the client gets an ordinary upload session (202) and uploads the blob itself.
     */
    private HttpServletRequest withoutUnauthorizedMount(HttpServletRequest request, Identity identity) {
        String query = request.getQueryString();
        if (query == null) {
            return request;
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            parameters.putIfAbsent(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        if (!parameters.containsKey("mount")) {
            return request;
        }
        String from = parameters.get("from");
        if (from != null && RepositoryName.isValid(from)) {
            Access pullFrom = Access.repository(from, Access.PULL);
            if (identity.allows(pullFrom) || anonymous(pullFrom)) {
                return request;
            }
        }
        List<String> kept = new ArrayList<>();
        for (String pair : query.split("&")) {
            String key = URLDecoder.decode(pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair,
                    StandardCharsets.UTF_8);
            if (!key.equals("mount") && !key.equals("from")) {
                kept.add(pair);
            }
        }
        String stripped = kept.isEmpty() ? null : String.join("&", kept);
        log.debug("cross-repository mount from {} not allowed for {}; starting an ordinary upload", from,
                identity.subject());
        return new HttpServletRequestWrapper(request) {
            @Override
            public String getQueryString() {
                return stripped;
            }

            @Override
            public String getParameter(String name) {
                return name.equals("mount") || name.equals("from") ? null : super.getParameter(name);
            }

            @Override
            public Map<String, String[]> getParameterMap() {
                Map<String, String[]> map = new LinkedHashMap<>(super.getParameterMap());
                map.remove("mount");
                map.remove("from");
                return map;
            }
        };
    }

    private static void refuse(HttpServletResponse response, ErrorCode code, String challenge) throws IOException {
        response.setStatus(code.status());
        response.setHeader("Docker-Distribution-API-Version", "registry/2.0");
        response.setHeader("WWW-Authenticate", challenge);
        response.setContentType("application/json");
        byte[] body = ("{\"errors\":[{\"code\":\"" + code.code() + "\",\"message\":\"" + code.message() + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** {@code public/**} to a regular expression: {@code **} any characters, {@code *} none of {@code /}. */
    static Pattern globToRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    regex.append(".*");
                    i++;
                } else {
                    regex.append("[^/]*");
                }
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
