package dev.berth.storage.azure;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * A blob's download as an input stream that holds only a few of the HTTP client's buffers at a time: it asks
 * the download for the next buffer only as the reader takes one, so the socket is read no faster than the
 * client of Berth reads (back-pressure all the way), and memory does not grow with the blob or the number of
 * downloads. One request for the whole range, instead of a request per few megabytes.
 */
final class StreamingDownload extends InputStream {

    /** Buffers asked for ahead of the reader (the JDK's HTTP client hands out buffers of 16 KiB). */
    private static final int AHEAD = 16;
    private static final Object END = new Object();

    private final BlockingQueue<Object> arrived = new ArrayBlockingQueue<>(AHEAD + 2);
    private final Receiver receiver = new Receiver();
    private ByteBuffer current;
    private boolean ended;

    StreamingDownload(Flux<ByteBuffer> body) {
        body.subscribe(receiver);
    }

    private final class Receiver extends BaseSubscriber<ByteBuffer> {
        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            request(AHEAD);
        }

        @Override
        protected void hookOnNext(ByteBuffer buffer) {
            arrived.offer(buffer);
        }

        @Override
        protected void hookOnComplete() {
            arrived.offer(END);
        }

        @Override
        protected void hookOnError(Throwable failure) {
            arrived.offer(failure);
        }
    }

    /** The current buffer with bytes left, or null at the end. */
    private ByteBuffer current() throws IOException {
        while (current == null || !current.hasRemaining()) {
            if (ended) {
                return null;
            }
            Object next;
            try {
                next = arrived.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                receiver.cancel();
                throw new InterruptedIOException("interrupted while downloading");
            }
            if (next == END) {
                ended = true;
                return null;
            }
            if (next instanceof Throwable failure) {
                ended = true;
                throw new IOException("the download broke off: " + failure, failure);
            }
            current = (ByteBuffer) next;
            receiver.request(1);
        }
        return current;
    }

    @Override
    public int read() throws IOException {
        ByteBuffer buffer = current();
        return buffer == null ? -1 : buffer.get() & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        ByteBuffer buffer = current();
        if (buffer == null) {
            return -1;
        }
        int n = Math.min(length, buffer.remaining());
        buffer.get(target, offset, n);
        return n;
    }

    @Override
    public void close() {
        ended = true;
        receiver.cancel();
        arrived.clear();
    }
}
