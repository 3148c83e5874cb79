package dev.berth.registry.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * An upstream's response body as a stream whose every read waits at most {@code readTimeout} for more bytes:
 * the JDK client's own timeout ends when the headers arrive, and an upstream stalling in the middle of a blob
 * would otherwise hold the request (and its buffers) until the connection dies. It asks the client for one
 * list of buffers at a time, so at most two lists are held, whatever the body's size.
 */
final class TimedBody extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {

    private static final List<ByteBuffer> END = List.of();

    /** What the client delivers: buffers, the end (END), or a failure. */
    private record Item(List<ByteBuffer> buffers, Throwable failure) {
    }

    private final BlockingQueue<Item> delivered = new ArrayBlockingQueue<>(2);
    private final long timeoutNanos;
    private volatile Flow.Subscription subscription;
    private Iterator<ByteBuffer> current = END.iterator();
    private ByteBuffer buffer;
    private boolean ended;
    private volatile boolean closed;

    TimedBody(Duration readTimeout) {
        this.timeoutNanos = readTimeout.toNanos();
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        if (closed) {
            subscription.cancel();
        } else {
            subscription.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        delivered.offer(new Item(item, null));
    }

    @Override
    public void onError(Throwable throwable) {
        delivered.offer(new Item(null, throwable));
    }

    @Override
    public void onComplete() {
        delivered.offer(new Item(END, null));
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (buffer == null || !buffer.hasRemaining()) {
            if (current.hasNext()) {
                buffer = current.next();
                continue;
            }
            if (ended) {
                return -1;
            }
            next();
        }
        int n = Math.min(length, buffer.remaining());
        buffer.get(target, offset, n);
        return n;
    }

    /** Waits for the next list of buffers, at most the read timeout. */
    private void next() throws IOException {
        if (closed) {
            throw new IOException("the upstream's answer was closed");
        }
        Item item;
        try {
            item = delivered.poll(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while reading the upstream's answer", e);
        }
        if (item == null) {
            close();
            throw new SocketTimeoutException("the upstream sent nothing for " + Duration.ofNanos(timeoutNanos).toSeconds()
                    + " s in the middle of its answer");
        }
        if (item.failure() != null) {
            throw item.failure() instanceof IOException io ? io : new IOException(item.failure());
        }
        if (item.buffers() == END) {
            ended = true;
            return;
        }
        current = item.buffers().iterator();
        subscription.request(1);
    }

    @Override
    public void close() {
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }
}
