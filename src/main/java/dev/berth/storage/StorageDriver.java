package dev.berth.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Bytes at slash-separated paths in a shared store: everything Berth keeps lives behind this interface.
 * Implementations know nothing of registries; every method streams and none holds an object whole in
 * memory except {@link #readVersioned}, which is meant for small records (links, upload state).
 * Failures of the store itself surface as {@link StorageException}; a path that breaks {@link StorePath}'s rule
 * is refused with {@link IllegalArgumentException} by every method, before the store is touched.
 */
public interface StorageDriver {

    /** A short name for logs, metrics and health details ("filesystem", "azure"). */
    String name();

    /** Size and modification time of the object at {@code path}, or empty when there is none. */
    Optional<ObjectInfo> stat(String path);

    /** The object's bytes from {@code offset} on; throws {@link ObjectNotFoundException} when absent. */
    InputStream read(String path, long offset);

    /**
     * Streams {@code content} into the object at {@code path}, replacing any previous one; readers see
     * either the old object or the whole new one, never a part. Returns the number of bytes written.
     */
    long write(String path, InputStream content);

    /** A small object's content with its version tag, or empty when there is none. */
    Optional<VersionedObject> readVersioned(String path);

    /**
     * Writes a small object only if the stored one still has {@code expectedVersion} ({@code null}: only if
     * none exists yet). Returns the new version; throws {@link VersionConflictException} when another
     * writer got there first, leaving that writer's object in place.
     */
    String writeIfVersion(String path, byte[] content, String expectedVersion);

    /** Names of the direct children of the folder {@code path}, sorted; empty when there is none. */
    List<String> list(String path);

    /**
     * At most {@code limit} names of the direct children of {@code path} that sort after {@code startAfter}
     * ({@code null}: from the first), sorted: one page of a listing, for folders too large to list whole on
     * every request. Stores that can start a listing part-way override this.
     */
    default List<String> list(String path, String startAfter, int limit) {
        List<String> page = new ArrayList<>(Math.min(limit, 1024));
        for (String name : list(path)) {
            if (page.size() >= limit) {
                break;
            }
            if (startAfter == null || name.compareTo(startAfter) > 0) {
                page.add(name);
            }
        }
        return page;
    }

    /**
     * Streams {@code content} into a new piece of the multipart object at {@code path}. Pieces stay invisible
     * until {@link #composePieces} joins them; writers of pieces of one path never disturb each other, and a
     * piece that is never composed is garbage that goes with its folder (or, where the store keeps pieces
     * apart from objects, expires on its own).
     */
    Piece writePiece(String path, InputStream content);

    /**
     * How many bytes of one piece this store wants in hand to write at full speed (it may keep buffers of a
     * {@link BufferedContent} while it sends them); the writer of a piece lends it at most about this much.
     */
    default long pieceBufferBytes() {
        return 1L << 20;
    }

    /**
     * Makes {@code target} the concatenation of the pieces of {@code path} that {@code handles} name, in order,
     * without passing their bytes through this process.
     */
    void composePieces(String path, List<String> handles, String target);

    /**
     * Lets readers see the pieces written so far while more may follow: afterwards {@code read(path, offset)}
     * yields the pieces {@code handles} name, joined in order, for offsets up to their total (what lies
     * beyond is unspecified), and {@link #composePieces} still takes these and later pieces. Returns false,
     * changing nothing, where this store cannot show these pieces so (they are not laid out end to end).
     */
    boolean publishPieces(String path, List<String> handles);

    /** Deletes the object or the whole folder at {@code path}; nothing happens when there is none. */
    void delete(String path);

    /**
     * A URL from which anyone holding it may read the object directly for {@code lifetime}, where the store
     * can sign one (empty otherwise): lets a replica send readers to the store instead of relaying bytes.
     */
    default Optional<URI> readUrl(String path, Duration lifetime) {
        StorePath.check(path);
        return Optional.empty();
    }

    /**
     * The object as a regular file of this machine, where the store keeps it as one (empty otherwise): lets
     * the web server hand it to the kernel ({@code sendfile}) instead of copying it through the heap.
     */
    default Optional<Path> localFile(String path) {
        StorePath.check(path);
        return Optional.empty();
    }

    default void writeBytes(String path, byte[] content) {
        write(path, new ByteArrayInputStream(content));
    }

    default Optional<byte[]> readBytes(String path) {
        return readVersioned(path).map(VersionedObject::content);
    }

    /** Reads a whole object that is known to be small enough to hold. */
    default byte[] readAll(String path) {
        try (InputStream in = read(path, 0)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new StorageException("reading " + path + " failed", new UncheckedIOException(e));
        }
    }
}
