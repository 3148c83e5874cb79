package dev.berth.registry;

import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * Store reads a request will need shortly, started before it needs them, so that a page made of many small
 * independent reads (the catalog checks each name it lists) pays an object store's round trip a few at a
 * time instead of one after another. The threads are shared by all requests and few; when all are busy a
 * read is simply done later by the request itself, so under load this costs nothing and bounds threads.
 */
@Component
public final class StoreReadsAhead implements AutoCloseable {

    /** Threads shared by every request. */
    static final int THREADS = 16;

    /** Reads one request may have started and not yet used. */
    public static final int WINDOW = 8;

    private final ThreadPoolExecutor threads;

    public StoreReadsAhead() {
        AtomicInteger count = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(0, THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), work -> {
            Thread thread = new Thread(work, "store-read-ahead-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts {@code read} on a free thread, or returns null when none is free: the caller then does the read
     * itself when it needs it.
     */
    public <T> Future<T> start(Callable<T> read) {
        try {
            return threads.submit(read);
        } catch (RejectedExecutionException busy) {
            return null;
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
