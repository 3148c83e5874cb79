package dev.berth.ui;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import jakarta.servlet.http.HttpServletRequest;
import java.util.regex.Pattern;

/** How the pages read their parameters: bounded, and anything malformed is refused or clamped, never a 5xx. */
final class UiRequests {

    /** Longest search text, tag or digest a page accepts. */
    static final int MAX_TEXT = 128;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]{1,253}(?::[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}\\](?::[0-9]{1,5})?");

    private UiRequests() {
    }

    /** A page size: {@code fallback} when absent or not a number, and never more than {@code max}. */
    static int pageSize(String value, int fallback, int max) {
        if (value == null || value.isEmpty() || value.length() > MAX_TEXT || !value.chars().allMatch(Character::isDigit)) {
            return fallback;
        }
        if (value.length() > 9) {
            return max;
        }
        return Math.max(1, Math.min(max, Integer.parseInt(value)));
    }

    /** A repository the request names: a name that breaks the grammar names nothing (a 404 page). */
    static RepositoryName repository(String value) {
        if (!RepositoryName.isValid(value)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "no such repository", value);
        }
        return new RepositoryName(value);
    }

    /** A short text parameter (search, cursor, reference); longer ones are refused with a 400 page. */
    static String text(String value, String what) {
        if (value == null) {
            return null;
        }
        if (value.length() > MAX_TEXT) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, what + " is longer than " + MAX_TEXT
                    + " characters");
        }
        return value;
    }

    /** The registry's host as clients pull from it: {@code berth.ui.public-host}, else the request's Host. */
    static String publicHost(UiProperties properties, HttpServletRequest request) {
        if (properties.publicHost() != null && !properties.publicHost().isBlank()) {
            return properties.publicHost().strip();
        }
        String host = request.getHeader("Host");
        if (host != null && HOST.matcher(host).matches()) {
            return host;
        }
        return request.getServerName();
    }
}
