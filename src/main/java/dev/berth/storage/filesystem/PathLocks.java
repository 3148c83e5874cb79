package dev.berth.storage.filesystem;

import dev.berth.storage.StorageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Mutual exclusion per store path, for compare-and-write. Paths hash onto a fixed set of stripes; each
 * stripe is a one-byte region of a lock file, locked with the operating system's advisory locks so that
 * several Berth processes on one folder exclude each other, plus a JVM-wide lock because the operating
 * system grants a process's threads the same region twice.
 */
final class PathLocks {

    private static final int STRIPES = 1024;

    /** Per lock file, shared by every driver in this JVM: the OS lock table is per process, not per channel. */
    private static final Map<Path, ReentrantLock[]> JVM_LOCKS = new ConcurrentHashMap<>();

    private final FileChannel channel;
    private final ReentrantLock[] jvmLocks;

    PathLocks(Path lockFile) {
        try {
            this.channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException("cannot open the lock file " + lockFile, e);
        }
        this.jvmLocks = JVM_LOCKS.computeIfAbsent(lockFile, f -> {
            ReentrantLock[] stripes = new ReentrantLock[STRIPES];
            for (int i = 0; i < STRIPES; i++) {
                stripes[i] = new ReentrantLock();
            }
            return stripes;
        });
    }

    <T> T withLock(String path, Supplier<T> action) {
        int stripe = Math.floorMod(path.hashCode(), STRIPES);
        ReentrantLock jvmLock = jvmLocks[stripe];
        jvmLock.lock();
        try (FileLock ignored = channel.lock(stripe, 1, false)) {
            return action.get();
        } catch (IOException e) {
            throw new StorageException("cannot lock " + path, e);
        } finally {
            jvmLock.unlock();
        }
    }
}
