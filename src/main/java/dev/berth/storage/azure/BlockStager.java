package dev.berth.storage.azure;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.specialized.BlockBlobAsyncClient;
import com.azure.storage.blob.specialized.BlockBlobClient;
import dev.berth.storage.BufferedContent;
import dev.berth.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Stages content as uncommitted blocks of a block blob, several in flight at once: from buffers the content's
 * supplier lends ({@link BufferedContent}: no copy, and no memory beyond the supplier's bounded buffers), or
 * from a plain stream (buffers of its own, for writes of unknown content). Block ids are the write's id and the
 * block's index, so racing writers never meet. Nothing is committed here.
 */
final class BlockStager {

    /** The service allows 50,000 blocks per blob. */
    static final int MAX_BLOCKS = 50_000;

    private final int blockSize;
    private final int concurrency;
    private final ExecutorService io;

    /** @param io the driver's threads, which send blocks of plain streams (it shuts them down) */
    BlockStager(int blockSize, int concurrency, ExecutorService io) {
        this.blockSize = blockSize;
        this.concurrency = Math.max(1, concurrency);
        this.io = io;
    }

    /** What a staging wrote: the number of blocks and of bytes. */
    record Staged(int blocks, long bytes) {
    }

    /**
     * Stages the lent buffers as blocks of up to the block size (smaller when the supplier waits for buffers
     * back, so it is never held up by a block being gathered), giving each buffer back once its block is in.
     */
    Staged stageBuffers(BlockBlobAsyncClient blob, String path, BufferedContent content, String writeId)
            throws IOException {
        List<Future<?>> inFlight = new ArrayList<>();
        List<byte[]> held = new ArrayList<>();
        List<ByteBuffer> views = new ArrayList<>();
        long heldBytes = 0;
        long total = 0;
        int blocks = 0;
        try {
            while (true) {
                BufferedContent.Buffer buffer = content.next();
                if (buffer == null) {
                    break;
                }
                if (buffer == BufferedContent.Buffer.STARVED) {
                    if (!held.isEmpty()) {
                        inFlight.add(submit(blob, path, writeId, blocks++, held, views, content));
                        held = new ArrayList<>();
                        views = new ArrayList<>();
                        heldBytes = 0;
                    } else if (!inFlight.isEmpty()) {
                        await(inFlight.remove(0));
                    }
                    continue;
                }
                held.add(buffer.array());
                views.add(ByteBuffer.wrap(buffer.array(), 0, buffer.length()));
                heldBytes += buffer.length();
                total += buffer.length();
                if (heldBytes >= blockSize) {
                    inFlight.add(submit(blob, path, writeId, blocks++, held, views, content));
                    held = new ArrayList<>();
                    views = new ArrayList<>();
                    heldBytes = 0;
                }
                while (inFlight.size() > concurrency) {
                    await(inFlight.remove(0));
                }
                failFast(inFlight);
            }
            if (!held.isEmpty()) {
                inFlight.add(submit(blob, path, writeId, blocks++, held, views, content));
            }
            for (Future<?> future : inFlight) {
                await(future);
            }
            return new Staged(blocks, total);
        } catch (IOException | RuntimeException e) {
            inFlight.forEach(future -> future.cancel(true));
            // Staged blocks that are never committed are dropped by the service (after a week at most).
            throw e;
        }
    }

    /**
     * Sends one block without holding a thread while it is in flight (the HTTP client's selector carries
     * it): a replica with hundreds of uploads in flight has hundreds of blocks on the wire, not hundreds of
     * threads waiting for them. The buffers go back when the request has ended, whichever way.
     */
    private Future<?> submit(BlockBlobAsyncClient blob, String path, String writeId, int index, List<byte[]> buffers,
            List<ByteBuffer> views, BufferedContent content) {
        if (index >= MAX_BLOCKS) {
            buffers.forEach(content::giveBack);
            throw new StorageException("azure store cannot write " + path + ": more than " + MAX_BLOCKS + " blocks");
        }
        return blob.stageBlock(blockId(writeId, index), BinaryData.fromListByteBuffer(views))
                .doFinally(signal -> buffers.forEach(content::giveBack))
                .toFuture();
    }

    /**
     * Stages {@code first} (the first {@code firstLength} bytes) and the rest of the stream as blocks, up to
     * the concurrency in flight, with buffers of its own. Returns the number of blocks.
     */
    int stageStream(BlockBlobClient blob, String path, InputStream content, byte[] first, int firstLength,
            String writeId) {
        // Buffers circulate: the reader fills a free one, an uploader returns it when its block is staged.
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(concurrency + 1);
        for (int i = 0; i < concurrency; i++) {
            free.add(new byte[blockSize]);
        }
        List<Future<?>> staged = new ArrayList<>();
        int blocks = 0;
        try {
            byte[] buffer = first;
            int length = firstLength;
            while (length > 0) {
                if (blocks == MAX_BLOCKS) {
                    throw new StorageException("azure store cannot write " + path + ": more than " + MAX_BLOCKS
                            + " blocks of " + blockSize + " bytes");
                }
                String blockId = blockId(writeId, blocks++);
                byte[] recycled = buffer;
                // BinaryData over a whole array goes out in small slices; a ByteBuffer would be written to the
                // socket in one piece, and the JDK then caches a direct buffer of the block's size per I/O thread.
                byte[] block = length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
                staged.add(io.submit(() -> {
                    try {
                        blob.stageBlock(blockId, BinaryData.fromBytes(block));
                    } finally {
                        free.offer(recycled);
                    }
                    return null;
                }));
                failFast(staged);
                buffer = take(free);
                length = readBlock(content, buffer, 0, path);
            }
            for (Future<?> future : staged) {
                await(future);
            }
            return blocks;
        } catch (RuntimeException e) {
            staged.forEach(future -> future.cancel(true));
            throw e;
        }
    }

    static List<String> blockIds(String writeId, int count) {
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(blockId(writeId, i));
        }
        return ids;
    }

    /** Block ids must have one length within a blob: a write's id and the block's index, zero-padded. */
    static String blockId(String writeId, int index) {
        return Base64.getEncoder().encodeToString(
                String.format("%s-%06d", writeId, index).getBytes(StandardCharsets.US_ASCII));
    }

    /** Fills {@code buffer} from the stream; less than its length only at the end of the stream. */
    static int readBlock(InputStream content, byte[] buffer, int offset, String path) {
        try {
            return content.readNBytes(buffer, offset, buffer.length - offset);
        } catch (IOException e) {
            throw new StorageException("reading the content for " + path + " failed: " + e, new UncheckedIOException(e));
        }
    }

    private static byte[] take(BlockingQueue<byte[]> free) {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while writing", e);
        }
    }

    /** Rethrows the failure of any finished task at once, instead of after the whole stream was read. */
    static void failFast(List<Future<?>> futures) {
        for (Future<?> future : futures) {
            if (future.isDone()) {
                await(future);
            }
        }
    }

    static void await(Future<?> future) {
        try {
            future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting for the store", e);
        } catch (CancellationException e) {
            throw new StorageException("a store request was cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new StorageException("a store request failed: " + cause, cause);
        }
    }
}
