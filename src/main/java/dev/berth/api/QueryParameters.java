package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The query string, parsed by hand and once per request: the servlet's own parameter parsing would read a
 * form-encoded request body, and Berth's request bodies are blob data that must be streamed untouched. A
 * value whose escapes are malformed is kept as sent, so it fails the check of whatever it should be.
 */
public record QueryParameters(Map<String, String> values) {

    private static final String ATTRIBUTE = QueryParameters.class.getName();

    public QueryParameters {
        values = Map.copyOf(values);
    }

    /** The request's parameters, parsed on first use; access control may have narrowed them since. */
    public static QueryParameters of(HttpServletRequest request) {
        QueryParameters parsed = (QueryParameters) request.getAttribute(ATTRIBUTE);
        if (parsed == null) {
            parsed = parse(request.getQueryString());
            request.setAttribute(ATTRIBUTE, parsed);
        }
        return parsed;
    }

    static QueryParameters parse(String queryString) {
        Map<String, String> values = new HashMap<>();
        if (queryString != null) {
            for (String pair : queryString.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                values.putIfAbsent(key, value);
            }
        }
        return new QueryParameters(values);
    }

    /** Replaces the request's parameters by these parameters without {@code names}. */
    public void replaceWithout(HttpServletRequest request, String... names) {
        Map<String, String> kept = new HashMap<>(values);
        for (String name : names) {
            kept.remove(name);
        }
        request.setAttribute(ATTRIBUTE, new QueryParameters(kept));
    }

    public String get(String name) {
        return values.get(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** A non-negative integer parameter such as {@code n}, or null when absent. */
    Integer count(String name) {
        String value = values.get(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID,
                    name + " must be a non-negative integer, not '" + value + "'");
        }
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }
}
