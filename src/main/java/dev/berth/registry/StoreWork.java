package dev.berth.registry;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Store work done on another thread, waited for as if the caller had done it. */
public final class StoreWork {

    private StoreWork() {
    }

    /**
     * The result of {@code work}; its failure is thrown as if the caller had done the work. An interrupted
     * wait cancels the work.
     */
    public static <T> T await(Future<T> work) {
        try {
            return work.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            work.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the store", e);
        }
    }
}
