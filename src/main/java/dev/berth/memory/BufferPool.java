package dev.berth.memory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The buffers streams pass through (upload bodies on their way to the store, blobs on their way to a client),
 * drawn from the replica's {@link MemoryBudget} and reused: however many requests stream at once, their
 * buffers never exceed the budget. A request leases what it needs to make progress at once (waiting while
 * the budget is spent: back-pressure, never a failure for memory), and takes more only when it is free now,
 * up to its lease's maximum. Buffers of one lease circulate between its reader and its writer, so a lease
 * that has all its buffers out waits only for its own to come back.
 */
public final class BufferPool {

    /** The size of every buffer. */
    public static final int SIZE = 256 * 1024;
    /** Freed buffers kept for reuse (beyond these they are left to the garbage collector). */
    private static final int KEPT = 64;

    private final MemoryBudget budget;
    private final ConcurrentLinkedQueue<byte[]> kept = new ConcurrentLinkedQueue<>();
    private final AtomicInteger keptCount = new AtomicInteger();
    private final int maxPerLease;

    /** @param budget what the buffers are paid from; one lease may take at most a quarter of it */
    public BufferPool(MemoryBudget budget) {
        this.budget = budget;
        this.maxPerLease = (int) Math.max(2, budget.total() / 4 / SIZE);
    }

    /**
     * A lease of at least {@code minimum} buffers, taken at once (waiting while the budget is spent), that
     * may grow to {@code maximum} buffers when the budget allows.
     */
    public Lease lease(int minimum, int maximum) {
        int floor = Math.max(1, Math.min(minimum, maxPerLease));
        budget.take((long) floor * SIZE);
        return new Lease(floor, Math.max(floor, Math.min(maximum, maxPerLease)));
    }

    private byte[] fresh() {
        byte[] buffer = kept.poll();
        if (buffer != null) {
            keptCount.decrementAndGet();
            return buffer;
        }
        return new byte[SIZE];
    }

    private void keep(byte[] buffer) {
        if (keptCount.incrementAndGet() <= KEPT) {
            kept.offer(buffer);
        } else {
            keptCount.decrementAndGet();
        }
    }

    /** Buffers one request may use: a reserved few, more while the budget allows, all given back on close. */
    public final class Lease implements AutoCloseable {
        private final int maximum;
        private final Deque<byte[]> spare = new ArrayDeque<>();
        private int paid;
        private int out;
        private int waiting;
        private boolean closed;

        private Lease(int reserved, int maximum) {
            this.paid = reserved;
            this.maximum = maximum;
        }

        /** A buffer now, if this lease has one spare or the budget allows one more; null otherwise. */
        public synchronized byte[] tryTake() {
            if (!spare.isEmpty()) {
                out++;
                return spare.pop();
            }
            if (out < paid) {
                out++;
                return fresh();
            }
            if (paid < maximum && budget.tryTake(SIZE)) {
                paid++;
                out++;
                return fresh();
            }
            return null;
        }

        /** A buffer, waiting for one of this lease's to be given back when none can be had now. */
        public synchronized byte[] take() throws InterruptedException {
            byte[] buffer;
            while ((buffer = tryTake()) == null) {
                if (closed) {
                    throw new InterruptedException("the lease was closed");
                }
                waiting++;
                try {
                    wait();
                } finally {
                    waiting--;
                }
            }
            return buffer;
        }

        /** As {@link #take()}, but waiting at most {@code millis}; null when no buffer came back in time. */
        public synchronized byte[] take(long millis) throws InterruptedException {
            byte[] buffer = tryTake();
            if (buffer != null || closed) {
                return buffer;
            }
            waiting++;
            try {
                wait(millis);
            } finally {
                waiting--;
            }
            return tryTake();
        }

        /** Gives a buffer taken from this lease back to it. */
        public synchronized void give(byte[] buffer) {
            out--;
            spare.push(buffer);
            notifyAll();
        }

        /** Whether someone waits in {@link #take} for a buffer to be given back. */
        public synchronized boolean starved() {
            return waiting > 0;
        }

        /** Gives every buffer back to the pool and its memory to the budget. Buffers still out are forgotten. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            spare.forEach(BufferPool.this::keep);
            spare.clear();
            budget.give((long) paid * SIZE);
            paid = 0;
            notifyAll();
        }
    }
}
