package dev.berth.api;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The query string, parsed by hand: the servlet's own parameter parsing would read a form-encoded request
 * body, and Berth's request bodies are blob data that must be streamed untouched.
 */
record QueryParameters(Map<String, String> values) {

    static QueryParameters of(String queryString) {
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

    String get(String name) {
        return values.get(name);
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
