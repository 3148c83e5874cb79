package dev.berth.registry.gc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A few store calls of one run in flight at once. A run condemns, claims and sweeps blobs one independent
 * call after another: at an object store's 10 ms a call, 20,000 blobs one at a time take many minutes.
 * The threads live for one run only. The first failure stops the rest and is thrown, as if the work had
 * been done in order and broke there.
 */
final class StoreFanout implements AutoCloseable {

    /** Store calls in flight at once; the Azure driver's own deletions of a folder's objects fan out as wide. */
    static final int CONCURRENCY = 8;

    private static final AtomicInteger RUNS = new AtomicInteger();

    private final ExecutorService threads;

    StoreFanout() {
        int run = RUNS.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(CONCURRENCY, work -> {
            Thread t = new Thread(work, "gc-" + run + "-store-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Does {@code work} for every item, {@link #CONCURRENCY} at a time, and returns when all are done. */
    <T> void forEach(Collection<T> items, Consumer<T> work) {
        List<Future<?>> done = new ArrayList<>(items.size());
        for (T item : items) {
            done.add(threads.submit(() -> work.accept(item)));
        }
        for (Future<?> future : done) {
            try {
                future.get();
            } catch (ExecutionException e) {
                done.forEach(other -> other.cancel(true));
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(e.getCause());
            } catch (CancellationException e) {
                throw new IllegalStateException("garbage collection step cancelled", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.forEach(other -> other.cancel(true));
                throw new IllegalStateException("garbage collection interrupted", e);
            }
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
