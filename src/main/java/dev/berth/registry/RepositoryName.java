package dev.berth.registry;

import java.util.regex.Pattern;

/** A repository name as the spec's grammar allows: lower-case path components joined by slashes. */
public record RepositoryName(String value) implements Comparable<RepositoryName> {

    private static final int MAX_LENGTH = 255;
    private static final Pattern GRAMMAR = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

    public RepositoryName {
        if (value == null || value.isEmpty()) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "a repository name is required");
        }
        if (value.length() > MAX_LENGTH) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "repository name is " + value.length() + " characters long; at most " + MAX_LENGTH + " are allowed");
        }
        if (!GRAMMAR.matcher(value).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name '" + value
                    + "': use lower-case letters, digits and separators (. _ __ -) in components joined by '/'");
        }
    }

    public static boolean isValid(String value) {
        return value != null && value.length() <= MAX_LENGTH && GRAMMAR.matcher(value).matches();
    }

    @Override
    public int compareTo(RepositoryName other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
