package dev.berth.registry.proxy;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code WWW-Authenticate} header of a registry: its scheme ({@code bearer} or {@code basic}) and
 * parameters ({@code realm}, {@code service}, {@code scope}).
 */
record AuthChallenge(String scheme, Map<String, String> parameters) {

    private static final Pattern PARAMETER = Pattern.compile("([A-Za-z_]+)=(?:\"([^\"]*)\"|([^,\\s]*))");

    static AuthChallenge parse(String header) {
        String trimmed = header == null ? "" : header.trim();
        int space = trimmed.indexOf(' ');
        String scheme = (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
        Map<String, String> parameters = new HashMap<>();
        if (space >= 0) {
            Matcher m = PARAMETER.matcher(trimmed.substring(space + 1));
            while (m.find()) {
                parameters.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2) != null ? m.group(2) : m.group(3));
            }
        }
        return new AuthChallenge(scheme, parameters);
    }

    String parameter(String name) {
        return parameters.get(name);
    }
}
