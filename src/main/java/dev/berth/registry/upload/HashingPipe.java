package dev.berth.registry.upload;

import dev.berth.memory.BufferPool;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.StoreWork;
import dev.berth.registry.upload.digest.ResumableSha256;
import dev.berth.storage.BufferedContent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Moves one request body into the store while hashing it, with the two halves on two threads: the request
 * thread reads and hashes, a writer thread hands the bytes to the store. Hashing a gigabyte costs about as
 * much as writing it, so overlapping them nearly halves the time of a large chunk. The buffers come from the
 * replica's {@link BufferPool}: the body's lease holds a few, more while memory allows, and they circulate
 * between the two threads (the store may keep some while it sends them: {@link BufferedContent}). A body
 * that fits in the first buffer is written on the request thread without a hand-off.
 */
final class HashingPipe {

    static final int BUFFER_SIZE = BufferPool.SIZE;
    /** Buffers a body always has: one being filled, one being written. */
    static final int RESERVED = 2;

    private final ExecutorService writers;
    private final BufferPool buffers;

    HashingPipe(ExecutorService writers, BufferPool buffers) {
        this.writers = writers;
        this.buffers = buffers;
    }

    /** What went into the store: the store's own result and the number of bytes hashed. */
    record Result<T>(T stored, long count) {
    }

    /** Writes what the pipe hands over into the store, on the writer thread: the store's own call. */
    @FunctionalInterface
    interface PieceWriter<T> {
        T write(InputStream content);
    }

    /**
     * Reads {@code body} to its end, hashing it into {@code hash}, while {@code store} consumes the same
     * bytes, with up to {@code maxBuffers} buffers in use. A broken body becomes BLOB_UPLOAD_INVALID, and the
     * store sees an I/O error so that it keeps nothing of it; failures of the store pass through unchanged.
     */
    <T> Result<T> transfer(InputStream body, ResumableSha256 hash, int maxBuffers, PieceWriter<T> store) {
        try (BufferPool.Lease lease = buffers.lease(RESERVED, Math.max(RESERVED, maxBuffers))) {
            byte[] first = take(lease);
            int n = fill(body, first, 0);
            if (n < first.length) {
                // The whole body fits in one buffer: no reason to involve another thread.
                hash.update(first, 0, n);
                return new Result<>(store.write(new ByteArrayInputStream(first, 0, n)), n);
            }
            Channel channel = new Channel(lease);
            Future<T> writer = writers.submit(() -> store.write(channel));
            long count = 0;
            byte[] buffer = first;
            try {
                while (true) {
                    hash.update(buffer, 0, n);
                    count += n;
                    if (n > 0) {
                        channel.send(new Filled(buffer, n, null));
                    } else {
                        lease.give(buffer);
                    }
                    if (n < BUFFER_SIZE) {
                        channel.send(Filled.END);
                        break;
                    }
                    buffer = channel.freeBuffer(writer);
                    if (buffer == null) {
                        break; // the writer gave up; its failure is reported below
                    }
                    n = fill(body, buffer, count);
                }
            } catch (RegistryException bodyBroke) {
                channel.send(new Filled(null, -1, bodyBroke.getMessage()));
                awaitQuietly(writer);
                throw bodyBroke;
            } catch (RuntimeException | Error e) {
                writer.cancel(true);
                throw e;
            }
            return new Result<>(StoreWork.await(writer), count);
        }
    }

    private static byte[] take(BufferPool.Lease lease) {
        try {
            return lease.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a buffer", e);
        }
    }

    /** Reads until {@code buffer} is full or the body ends; returns the number of bytes read. */
    private static int fill(InputStream body, byte[] buffer, long before) {
        int filled = 0;
        try {
            while (filled < buffer.length) {
                int r = body.read(buffer, filled, buffer.length - filled);
                if (r < 0) {
                    break;
                }
                filled += r;
            }
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "the request body broke off after " + (before + filled) + " bytes: " + e.getMessage());
        }
        return filled;
    }

    private static void awaitQuietly(Future<?> writer) {
        try {
            writer.get();
        } catch (ExecutionException expected) {
            // The store was told the body broke; its error says nothing new.
        } catch (InterruptedException e) {
            writer.cancel(true);
            Thread.currentThread().interrupt();
        }
    }

    /** A buffer's worth of body, the end of the body ({@code length} 0) or its breaking off ({@code failure}). */
    private record Filled(byte[] buffer, int length, String failure) {
        static final Filled END = new Filled(null, 0, null);
    }

    /**
     * What the store reads, as a stream or as buffers it may keep a while: buffers arrive from the request
     * thread and go back to the lease once written.
     */
    private static final class Channel extends InputStream implements BufferedContent {

        private final BufferPool.Lease lease;
        private final LinkedBlockingQueue<Filled> filled = new LinkedBlockingQueue<>();
        private Filled current;
        private int position;
        private boolean ended;

        Channel(BufferPool.Lease lease) {
            this.lease = lease;
        }

        /** Request thread: queues a buffer for the writer. */
        void send(Filled chunk) {
            filled.add(chunk);
        }

        /** Request thread: a buffer to fill; null when the writer stopped before giving one back. */
        byte[] freeBuffer(Future<?> writer) {
            try {
                byte[] buffer;
                while ((buffer = lease.take(50)) == null) {
                    if (writer.isDone()) {
                        return null;
                    }
                }
                return buffer;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                writer.cancel(true);
                return null;
            }
        }

        @Override
        public Buffer next() throws IOException {
            if (current != null) {
                throw new IllegalStateException("the content is being read as a stream");
            }
            while (true) {
                if (ended) {
                    return null;
                }
                Filled chunk;
                try {
                    chunk = filled.poll(20, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("the upload was abandoned");
                }
                if (chunk == null) {
                    if (lease.starved()) {
                        return Buffer.STARVED;
                    }
                    continue;
                }
                Buffer buffer = open(chunk);
                if (buffer != null || ended) {
                    return buffer;
                }
            }
        }

        @Override
        public void giveBack(byte[] array) {
            lease.give(array);
        }

        /** The chunk as a buffer of content, or null at the end; throws for a body that broke off. */
        private Buffer open(Filled chunk) throws IOException {
            if (chunk.failure() != null) {
                ended = true;
                throw new IOException(chunk.failure());
            }
            if (chunk.length() == 0) {
                ended = true;
                return null;
            }
            return new Buffer(chunk.buffer(), chunk.length());
        }

        /** Writer thread, reading as a stream: the current chunk with bytes left, or null at the end. */
        private Filled nextForStream() throws IOException {
            if (current != null && position < current.length()) {
                return current;
            }
            if (current != null) {
                lease.give(current.buffer());
                current = null;
            }
            if (ended) {
                return null;
            }
            Filled chunk;
            try {
                chunk = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the upload was abandoned");
            }
            if (open(chunk) == null) {
                return null;
            }
            current = chunk;
            position = 0;
            return chunk;
        }

        @Override
        public int read() throws IOException {
            Filled chunk = nextForStream();
            if (chunk == null) {
                return -1;
            }
            return chunk.buffer()[position++] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            Filled chunk = nextForStream();
            if (chunk == null) {
                return -1;
            }
            int n = Math.min(length, chunk.length() - position);
            System.arraycopy(chunk.buffer(), position, target, offset, n);
            position += n;
            return n;
        }

        /** Hands whole buffers to the store's stream, saving a copy through a buffer of the store's own. */
        @Override
        public long transferTo(OutputStream out) throws IOException {
            long total = 0;
            Filled chunk;
            while ((chunk = nextForStream()) != null) {
                int n = chunk.length() - position;
                out.write(chunk.buffer(), position, n);
                position += n;
                total += n;
            }
            return total;
        }
    }
}
