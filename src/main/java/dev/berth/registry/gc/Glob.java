package dev.berth.registry.gc;

import java.util.regex.Pattern;

/**
 * A name pattern of a retention policy, for repositories ({@code team/**}) and tags ({@code v*}): {@code **}
 * matches any characters, slashes too; {@code *} any characters but a slash (within one path segment);
 * {@code ?} one character but a slash; everything else itself. The whole name must match.
 */
public final class Glob {

    private final String text;
    private final Pattern pattern;

    public Glob(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a pattern may not be empty");
        }
        this.text = text;
        this.pattern = Pattern.compile(regex(text));
    }

    public boolean matches(String name) {
        return pattern.matcher(name).matches();
    }

    private static String regex(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c != '*' && c != '?') {
                literal.append(c);
                continue;
            }
            if (!literal.isEmpty()) {
                regex.append(Pattern.quote(literal.toString()));
                literal.setLength(0);
            }
            if (c == '?') {
                regex.append("[^/]");
            } else if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else {
                regex.append("[^/]*");
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return regex.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
