package dev.berth.ops;

/**
 * The store operations {@link MeteredStorageDriver} times, as the {@code operation} tag names them. Being a
 * closed list, every operation's meters exist from the start, so a dashboard or an alert reads 0, never "no
 * data", for an operation that has not failed yet.
 */
enum StorageOperation {
    STAT,
    READ,
    WRITE,
    READ_VERSIONED,
    WRITE_IF_VERSION,
    LIST,
    WRITE_PIECE,
    COMPOSE_PIECES,
    PUBLISH_PIECES,
    READ_URL,
    DELETE;

    /** The tag value: the name in lower case ({@code write_if_version}). */
    String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
