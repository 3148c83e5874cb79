package dev.berth.support;

import dev.berth.storage.ObjectInfo;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorePath;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store in memory, held to the same {@code StorageDriverContract} as the real ones: for fast tests of the
 * registry's rules (uploads, manifests, tags, the catalog) without a disk, a container or a clock of its own.
 * Optionally counts every call, so a test can bound the store work a request does.
 */
public final class InMemoryStorageDriver implements StorageDriver {

    private record Entry(byte[] content, String version, Instant modified) {
    }

    private final NavigableMap<String, Entry> objects = new ConcurrentSkipListMap<>();
    /** Pieces not yet composed, by "<path>\n<handle>". */
    private final Map<String, byte[]> pieces = new ConcurrentSkipListMap<>();
    private final AtomicLong versions = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();
    private final Clock clock;

    public InMemoryStorageDriver() {
        this(Clock.systemUTC());
    }

    public InMemoryStorageDriver(Clock clock) {
        this.clock = clock;
    }

    /** Store calls made so far (every method of the driver interface counts one). */
    public long calls() {
        return calls.get();
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public java.util.Optional<ObjectInfo> stat(String path) {
        check(path);
        Entry entry = objects.get(path);
        return entry == null ? java.util.Optional.empty()
                : java.util.Optional.of(new ObjectInfo(path, entry.content().length, entry.modified()));
    }

    @Override
    public InputStream read(String path, long offset) {
        check(path);
        Entry entry = objects.get(path);
        if (entry == null) {
            throw new ObjectNotFoundException(path);
        }
        int from = (int) Math.min(offset, entry.content().length);
        return new ByteArrayInputStream(entry.content(), from, entry.content().length - from);
    }

    @Override
    public long write(String path, InputStream content) {
        check(path);
        byte[] bytes = readAll(content);
        put(path, bytes);
        return bytes.length;
    }

    @Override
    public java.util.Optional<VersionedObject> readVersioned(String path) {
        check(path);
        Entry entry = objects.get(path);
        return entry == null ? java.util.Optional.empty()
                : java.util.Optional.of(new VersionedObject(entry.content().clone(), entry.version()));
    }

    @Override
    public synchronized String writeIfVersion(String path, byte[] content, String expectedVersion) {
        check(path);
        Entry current = objects.get(path);
        String currentVersion = current == null ? null : current.version();
        if (expectedVersion == null ? currentVersion != null : !expectedVersion.equals(currentVersion)) {
            throw new VersionConflictException(path);
        }
        return put(path, content.clone());
    }

    @Override
    public List<String> list(String path) {
        check(path);
        String prefix = path + "/";
        TreeSet<String> names = new TreeSet<>();
        for (String key : objects.tailMap(prefix, true).keySet()) {
            if (!key.startsWith(prefix)) {
                break;
            }
            String rest = key.substring(prefix.length());
            int slash = rest.indexOf('/');
            names.add(slash < 0 ? rest : rest.substring(0, slash));
        }
        return new ArrayList<>(names);
    }

    @Override
    public Piece writePiece(String path, InputStream content) {
        check(path);
        byte[] bytes = readAll(content);
        String handle = UUID.randomUUID().toString();
        pieces.put(path + "\n" + handle, bytes);
        return new Piece(handle, bytes.length);
    }

    @Override
    public void composePieces(String path, List<String> handles, String target) {
        check(path);
        check(target);
        put(target, joined(path, handles));
    }

    /** The pieces of {@code path} that {@code handles} name, end to end. */
    private byte[] joined(String path, List<String> handles) {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (String handle : handles) {
            byte[] piece = pieces.get(path + "\n" + handle);
            if (piece == null) {
                throw new ObjectNotFoundException(path + " piece " + handle);
            }
            joined.writeBytes(piece);
        }
        return joined.toByteArray();
    }

    /** Keeps the joined pieces as the object at {@code path}, as a store that commits a block list does. */
    @Override
    public boolean publishPieces(String path, List<String> handles) {
        check(path);
        put(path, joined(path, handles));
        return true;
    }

    @Override
    public void delete(String path) {
        check(path);
        objects.remove(path);
        objects.keySet().removeIf(key -> key.startsWith(path + "/"));
        pieces.keySet().removeIf(key -> key.startsWith(path + "\n") || key.startsWith(path + "/"));
    }

    private String put(String path, byte[] content) {
        String version = Long.toString(versions.incrementAndGet());
        objects.put(path, new Entry(content, version, clock.instant()));
        return version;
    }

    /** Every call goes through here: counted, and its path checked by the rule the real stores follow too. */
    private void check(String path) {
        calls.incrementAndGet();
        StorePath.check(path);
    }

    private static byte[] readAll(InputStream content) {
        try {
            return content.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
