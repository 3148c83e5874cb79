package dev.berth.memory;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One budget of heap bytes that every request of a replica draws from for what it must hold whole (a
 * manifest, a referrer's descriptor): when the budget is spent, requests wait for others to give theirs back,
 * so heap use is bounded by configuration, not by load. A request takes its whole share at once and holds
 * one share at a time, so no two requests can each hold part of what the other waits for.
 */
public final class MemoryBudget {

    private static final int UNIT = 1024;

    private final Semaphore kibibytes;
    private final int totalUnits;
    private final long total;
    private final Duration maxWait;

    /**
     * @param total bytes the budget holds
     * @param maxWait how long a request may wait for its share before it is refused
     */
    public MemoryBudget(long total, Duration maxWait) {
        this.total = total;
        this.totalUnits = (int) Math.min(Integer.MAX_VALUE, Math.max(1, total / UNIT));
        this.kibibytes = new Semaphore(totalUnits, true);
        this.maxWait = maxWait;
    }

    public long total() {
        return total;
    }

    /** Bytes not taken right now. */
    public long available() {
        return (long) kibibytes.availablePermits() * UNIT;
    }

    /**
     * A share of {@code bytes} (the whole budget at most), waiting while the budget is spent; throws
     * {@link BudgetExhaustedException} after waiting the longest allowed.
     */
    public Share acquire(long bytes) {
        int units = (int) Math.min(totalUnits, Math.max(1, (bytes + UNIT - 1) / UNIT));
        try {
            if (!kibibytes.tryAcquire(units, maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BudgetExhaustedException("no memory for " + bytes + " bytes within " + maxWait + " ("
                        + total + " bytes are shared by all requests)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BudgetExhaustedException("interrupted while waiting for memory");
        }
        return new Share(units);
    }

    /** {@code bytes} taken now if they are free and nobody waits before us; false otherwise (never waits). */
    boolean tryTake(long bytes) {
        try {
            return kibibytes.tryAcquire(units(bytes), 0, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code bytes} taken, waiting as {@link #acquire} does. */
    void take(long bytes) {
        acquire(bytes);
    }

    void give(long bytes) {
        kibibytes.release(units(bytes));
    }

    private int units(long bytes) {
        return (int) Math.min(totalUnits, Math.max(1, (bytes + UNIT - 1) / UNIT));
    }

    /** A share of the budget, given back when closed. */
    public final class Share implements AutoCloseable {
        private int held;

        private Share(int held) {
            this.held = held;
        }

        @Override
        public void close() {
            if (held > 0) {
                kibibytes.release(held);
                held = 0;
            }
        }
    }
}
