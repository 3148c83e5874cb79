package dev.berth.registry;

import dev.berth.memory.MemoryBudget;
import dev.berth.storage.ObjectInfo;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Reads the documents the registry must hold whole (manifests, referrer descriptors) under a share of the
 * memory budget taken at once for the whole document. Most documents are small: they are read in one store
 * call under a small share; only a larger one costs a look at its size first.
 */
@Component
public class Documents {

    /** Documents up to this size are read under a share of this size, without asking the store first. */
    static final int SMALL = 64 * 1024;

    private final StorageDriver store;
    private final MemoryBudget memory;

    public Documents(StorageDriver store, MemoryBudget memory) {
        this.store = store;
        this.memory = memory;
    }

    /** A document in memory with the share that pays for it; closing gives the share back. */
    public record Held(byte[] content, MemoryBudget.Share share) implements AutoCloseable {
        @Override
        public void close() {
            share.close();
        }
    }

    /**
     * The stored object at {@code path}, with a share of {@code factor} times its size (more than 1 when the
     * caller will parse it); empty when the store has none.
     */
    public Optional<Held> read(String path, int factor) {
        MemoryBudget.Share small = memory.acquire((long) SMALL * factor);
        try (InputStream in = store.read(path, 0)) {
            byte[] head = in.readNBytes(SMALL + 1);
            if (head.length <= SMALL) {
                return Optional.of(new Held(head, small));
            }
        } catch (ObjectNotFoundException e) {
            small.close();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            small.close();
            throw failure(path, e);
        }
        small.close();
        Optional<ObjectInfo> info = store.stat(path);
        if (info.isEmpty()) {
            return Optional.empty();
        }
        MemoryBudget.Share share = memory.acquire(info.get().size() * factor);
        try (InputStream in = store.read(path, 0)) {
            return Optional.of(new Held(in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, info.get().size())), share));
        } catch (ObjectNotFoundException e) {
            share.close();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            share.close();
            throw failure(path, e);
        }
    }

    /**
     * A request body of at most {@code max} bytes, with a share of {@code factor} times its declared length
     * (or {@code max}, when the client declared none); returns null, having read {@code max + 1} bytes, when
     * the body is longer.
     */
    public Held readBody(InputStream body, long declaredLength, int max, int factor) throws IOException {
        long expected = declaredLength >= 0 && declaredLength <= max ? declaredLength : max;
        MemoryBudget.Share share = memory.acquire(Math.max(1, expected) * factor);
        try {
            byte[] content = body.readNBytes(max + 1);
            if (content.length > max) {
                share.close();
                return null;
            }
            return new Held(content, share);
        } catch (IOException | RuntimeException e) {
            share.close();
            throw e;
        }
    }

    private static RuntimeException failure(String path, Exception e) {
        if (e instanceof RuntimeException runtime && !(e instanceof ObjectNotFoundException)) {
            return runtime;
        }
        return new StorageException("reading " + path + " failed: " + e.getMessage(), e);
    }
}
