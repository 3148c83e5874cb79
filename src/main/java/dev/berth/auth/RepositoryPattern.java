package dev.berth.auth;

import java.util.regex.Pattern;

/**
 * A repository name pattern of {@code berth.auth.anonymous-pull} and the htpasswd access rules:
 * {@code *} matches within one path component, {@code **} across components ({@code public/**} matches
 * {@code public/base} and {@code public/tools/jq}, {@code mirror/*} matches {@code mirror/alpine} only).
 */
record RepositoryPattern(String glob, Pattern regex) {

    static RepositoryPattern of(String glob) {
        return new RepositoryPattern(glob, toRegex(glob));
    }

    boolean matches(String repository) {
        return regex.matcher(repository).matches();
    }

    /**
     * Whether the pattern can match a repository name at all: only the characters names are made of
     * ({@code a-z0-9._-/}) and {@code *}. An uppercase letter or a space is a typo that would never match.
     */
    static boolean isPlausible(String glob) {
        return glob != null && !glob.isEmpty() && glob.chars().allMatch(c -> (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/' || c == '*');
    }

    /** {@code **} to any characters, {@code *} to any but {@code /}, everything else literal. */
    private static Pattern toRegex(String glob) {
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

    @Override
    public String toString() {
        return glob;
    }
}
