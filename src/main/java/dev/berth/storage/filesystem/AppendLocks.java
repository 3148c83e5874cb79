package dev.berth.storage.filesystem;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per file for the threads of this JVM, held for as long as a piece takes to stream in. The
 * operating system's file locks exclude other processes but grant a process's threads the same file
 * twice, so they need this as well. Entries live only while someone uses them.
 */
final class AppendLocks {

    private static final ConcurrentHashMap<String, Entry> LOCKS = new ConcurrentHashMap<>();

    private AppendLocks() {
    }

    /** Blocks until this thread holds the lock for {@code key}; pair with {@link #unlock}. */
    static void lock(String key) {
        Entry entry = LOCKS.compute(key, (k, held) -> {
            Entry e = held == null ? new Entry() : held;
            e.users++;
            return e;
        });
        entry.lock.lock();
    }

    static void unlock(String key) {
        LOCKS.computeIfPresent(key, (k, held) -> {
            held.lock.unlock();
            return --held.users == 0 ? null : held;
        });
    }

    private static final class Entry {
        private final ReentrantLock lock = new ReentrantLock();
        private int users;
    }
}
