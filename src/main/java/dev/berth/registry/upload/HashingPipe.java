package dev.berth.registry.upload;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.upload.digest.ResumableSha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Moves one request body into the store while hashing it, with the two halves on two threads: the request
 * thread reads and hashes, a writer thread hands the bytes to the store. Hashing a gigabyte costs about as
 * much as writing it, so overlapping them nearly halves the time of a large chunk. Memory is a fixed
 * handful of buffers per body, whatever its size; a body that fits in the first buffer is written on the
 * request thread without a hand-off.
 */
final class HashingPipe {

    static final int BUFFER_SIZE = 256 * 1024;
    /** Filled buffers waiting for the writer, plus the one being filled and the one being written. */
    private static final int BUFFERS = 4;

    private final ExecutorService writers;

    HashingPipe(ExecutorService writers) {
        this.writers = writers;
    }

    /** What went into the store: the store's own result and the number of bytes hashed. */
    record Result<T>(T stored, long count) {
    }

    /**
     * Reads {@code body} to its end, hashing it into {@code hash}, while {@code store} consumes the same
     * bytes as a stream. A broken body becomes BLOB_UPLOAD_INVALID, and the store sees an I/O error so that
     * it keeps nothing of it; failures of the store pass through unchanged.
     */
    <T> Result<T> transfer(InputStream body, ResumableSha256 hash, Function<InputStream, T> store) {
        byte[] first = new byte[BUFFER_SIZE];
        int n = fill(body, first, 0);
        if (n < first.length) {
            // The whole body fits in one buffer: no reason to involve another thread.
            hash.update(first, 0, n);
            return new Result<>(store.apply(new ByteArrayInputStream(first, 0, n)), n);
        }
        Channel channel = new Channel();
        Future<T> writer = writers.submit(() -> store.apply(channel));
        long count = 0;
        byte[] buffer = first;
        try {
            while (true) {
                hash.update(buffer, 0, n);
                count += n;
                if (n > 0 && !channel.send(new Filled(buffer, n, null), writer)) {
                    break; // the writer gave up; its failure is reported below
                }
                if (n < BUFFER_SIZE) {
                    channel.send(Filled.END, writer);
                    break;
                }
                buffer = channel.freeBuffer(writer);
                if (buffer == null) {
                    break;
                }
                n = fill(body, buffer, count);
            }
        } catch (RegistryException bodyBroke) {
            channel.send(new Filled(null, -1, bodyBroke.getMessage()), writer);
            awaitQuietly(writer);
            throw bodyBroke;
        } catch (RuntimeException | Error e) {
            writer.cancel(true);
            throw e;
        }
        return new Result<>(await(writer), count);
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

    private static <T> T await(Future<T> writer) {
        try {
            return writer.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            writer.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the store was writing", e);
        }
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

    /** The stream the store reads: buffers arrive from the request thread and go back to it once written. */
    private static final class Channel extends InputStream {

        private final BlockingQueue<Filled> filled = new ArrayBlockingQueue<>(BUFFERS);
        private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
        private int allocated = 1;
        private Filled current;
        private int position;
        private boolean ended;

        /** Request thread: queues a buffer for the writer; false when the writer has stopped. */
        boolean send(Filled chunk, Future<?> writer) {
            try {
                while (!filled.offer(chunk, 50, TimeUnit.MILLISECONDS)) {
                    if (writer.isDone()) {
                        return false;
                    }
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                writer.cancel(true);
                return false;
            }
        }

        /** Request thread: a buffer to fill, new while fewer than BUFFERS exist; null when the writer stopped. */
        byte[] freeBuffer(Future<?> writer) {
            byte[] buffer = free.poll();
            if (buffer != null) {
                return buffer;
            }
            if (allocated < BUFFERS) {
                allocated++;
                return new byte[BUFFER_SIZE];
            }
            try {
                while ((buffer = free.poll(50, TimeUnit.MILLISECONDS)) == null) {
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

        /** Writer thread: the next chunk with bytes left, or null at the end of the body. */
        private Filled next() throws IOException {
            if (current != null && position < current.length()) {
                return current;
            }
            if (ended) {
                return null;
            }
            if (current != null) {
                free.offer(current.buffer());
                current = null;
            }
            Filled chunk;
            try {
                chunk = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the upload was abandoned");
            }
            if (chunk.failure() != null) {
                ended = true;
                throw new IOException(chunk.failure());
            }
            if (chunk.length() == 0) {
                ended = true;
                return null;
            }
            current = chunk;
            position = 0;
            return chunk;
        }

        @Override
        public int read() throws IOException {
            Filled chunk = next();
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
            Filled chunk = next();
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
            while ((chunk = next()) != null) {
                int n = chunk.length() - position;
                out.write(chunk.buffer(), position, n);
                position += n;
                total += n;
            }
            return total;
        }
    }
}
