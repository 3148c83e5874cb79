package dev.berth.api.guard;

/**
 * The least a request body must deliver: {@code minBytes} per {@code window} of time spent waiting for it.
 * Only waiting counts, so a request that Berth itself reads slowly (the store is slow) is never blamed on
 * the client. One instance follows one body.
 */
final class BodyRate {

    private final long minBytes;
    private final long windowNanos;
    private long waitedNanos;
    private long bytesInWindow;

    BodyRate(RequestLimits.SlowBody limits) {
        this.minBytes = limits.minBytes().toBytes();
        this.windowNanos = limits.window().toNanos();
    }

    /** Records one wait for the body and what it brought; false when the body is now too slow. */
    boolean record(long waited, long bytes) {
        waitedNanos += waited;
        bytesInWindow += Math.max(0, bytes);
        if (waitedNanos < windowNanos) {
            return true;
        }
        if (bytesInWindow < minBytes) {
            return false;
        }
        waitedNanos = 0;
        bytesInWindow = 0;
        return true;
    }

    String describe() {
        return "the request body delivered " + bytesInWindow + " bytes in " + windowNanos / 1_000_000_000
                + " s of waiting; at least " + minBytes + " are required";
    }
}
