package dev.berth.storage;

/**
 * The one rule for the paths a {@link StorageDriver} accepts, checked by every driver before it touches its
 * store (as Distribution's {@code driver/base} wrapper checks {@code PathRegexp}): so a path one store takes is
 * never refused by another, and none can climb out of its root or name a blob outside the store's prefix.
 * A store path is relative, its segments separated by single slashes; no segment is empty, {@code .} or
 * {@code ..}, and no character is a backslash or NUL.
 */
public final class StorePath {

    private StorePath() {
    }

    /** Returns {@code path} when it is a valid store path; throws {@link IllegalArgumentException} otherwise. */
    public static String check(String path) {
        if (path == null || path.isEmpty() || path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0) {
            throw invalid(path);
        }
        // -1 keeps trailing empty segments, so "a/b/" is refused like "/a/b" and "a//b".
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw invalid(path);
            }
        }
        return path;
    }

    private static IllegalArgumentException invalid(String path) {
        return new IllegalArgumentException("invalid store path: " + path);
    }
}
