package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.memory.BufferPool;
import dev.berth.memory.MemoryBudget;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.upload.digest.ResumableSha256;
import dev.berth.storage.BufferedContent;
import dev.berth.storage.StorageException;
import dev.berth.support.RandomBytes;
import dev.berth.support.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class HashingPipeTest {

    private final ExecutorService writers = Executors.newCachedThreadPool();
    private final BufferPool buffers = new BufferPool(new MemoryBudget(64L << 20, Duration.ofSeconds(5)));
    private final HashingPipe pipe = new HashingPipe(writers, buffers);

    @AfterEach
    void stop() {
        writers.shutdownNow();
    }

    @Test
    void theStoreGetsEveryByteAndTheHashCoversThem() throws Exception {
        for (int size : new int[] {0, 1, HashingPipe.BUFFER_SIZE - 1, HashingPipe.BUFFER_SIZE,
                HashingPipe.BUFFER_SIZE + 1, 5 * HashingPipe.BUFFER_SIZE + 123}) {
            byte[] content = bytes(size);
            ResumableSha256 hash = ResumableSha256.create();
            HashingPipe.Result<byte[]> result = pipe.transfer(new TrickleInputStream(content), hash, 8, this::readAll);
            assertThat(result.stored()).as("size %d", size).isEqualTo(content);
            assertThat(result.count()).isEqualTo(size);
            assertThat(hash.hexDigest()).isEqualTo(Sha256.hex(content));
        }
    }

    @Test
    void theStoreCanReadByteByByte() {
        byte[] content = bytes(2 * HashingPipe.BUFFER_SIZE + 7);
        HashingPipe.Result<byte[]> result = pipe.transfer(new ByteArrayInputStream(content), ResumableSha256.create(), 8,
                in -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    try {
                        for (int b; (b = in.read()) >= 0; ) {
                            out.write(b);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return out.toByteArray();
                });
        assertThat(result.stored()).isEqualTo(content);
    }

    @Test
    void aBodyThatBreaksOffIsUploadInvalidAndTheStoreSeesAnIoError() {
        InputStream breaking = new SequenceInputStream(new ByteArrayInputStream(bytes(3 * HashingPipe.BUFFER_SIZE)),
                new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("connection reset");
                    }
                });
        AtomicReference<Throwable> seenByStore = new AtomicReference<>();

        assertThatThrownBy(() -> pipe.transfer(breaking, ResumableSha256.create(), 8, in -> {
            try {
                return readAll(in);
            } catch (RuntimeException e) {
                seenByStore.set(e.getCause());
                throw e;
            }
        })).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID));
        assertThat(seenByStore.get()).isInstanceOf(IOException.class);
    }

    @Test
    void aStoreFailurePassesThroughWithoutHanging() {
        byte[] content = bytes(20 * HashingPipe.BUFFER_SIZE);
        assertThatThrownBy(() -> pipe.transfer(new ByteArrayInputStream(content), ResumableSha256.create(), 8, in -> {
            throw new StorageException("the store is down", null);
        })).isInstanceOf(StorageException.class).hasMessageContaining("the store is down");

        assertThatThrownBy(() -> pipe.transfer(new ByteArrayInputStream(content), ResumableSha256.create(), 8, in -> {
            try {
                in.readNBytes(HashingPipe.BUFFER_SIZE + 10);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw new StorageException("the store failed midway", null);
        })).isInstanceOf(StorageException.class).hasMessageContaining("midway");
    }

    /**
     * A store that keeps every buffer lent to it until the pipe runs out (as the Azure store gathers blocks),
     * then writes them all out: it receives every byte, in order, never holding more buffers than the lease.
     */
    static byte[] gatheringStore(InputStream in, int[] mostHeld) {
        BufferedContent content = (BufferedContent) in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.util.List<BufferedContent.Buffer> held = new java.util.ArrayList<>();
        try {
            while (true) {
                BufferedContent.Buffer buffer = content.next();
                if (buffer == null || buffer == BufferedContent.Buffer.STARVED) {
                    for (BufferedContent.Buffer kept : held) {
                        out.write(kept.array(), 0, kept.length());
                        content.giveBack(kept.array());
                    }
                    held.clear();
                    if (buffer == null) {
                        return out.toByteArray();
                    }
                    continue;
                }
                held.add(buffer);
                mostHeld[0] = Math.max(mostHeld[0], held.size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStoreKeepingBuffersGetsThemAllAndNeverMoreThanTheLease() {
        byte[] content = bytes(40 * HashingPipe.BUFFER_SIZE + 17);
        int[] mostHeld = {0};
        HashingPipe.Result<byte[]> result = pipe.transfer(new ByteArrayInputStream(content), ResumableSha256.create(),
                6, in -> gatheringStore(in, mostHeld));
        assertThat(result.stored()).isEqualTo(content);
        assertThat(mostHeld[0]).as("buffers the store held at once").isBetween(1, 6);
    }

    @Test
    void manyBodiesAtOnceShareASmallBudgetAndAllFinish() throws Exception {
        // Eight buffers for 32 bodies of eight buffers each, every store keeping what it can: back-pressure,
        // never a deadlock, and the budget whole again afterwards.
        MemoryBudget budget = new MemoryBudget(8L * HashingPipe.BUFFER_SIZE, Duration.ofSeconds(60));
        HashingPipe small = new HashingPipe(writers, new BufferPool(budget));
        ExecutorService clients = Executors.newFixedThreadPool(32);
        try {
            java.util.List<java.util.concurrent.Future<byte[]>> results = new java.util.ArrayList<>();
            java.util.List<byte[]> contents = new java.util.ArrayList<>();
            for (int i = 0; i < 32; i++) {
                byte[] content = bytes(8 * HashingPipe.BUFFER_SIZE + i);
                contents.add(content);
                results.add(clients.submit(() -> small.transfer(new TrickleInputStream(content),
                        ResumableSha256.create(), 8, in -> gatheringStore(in, new int[1])).stored()));
            }
            for (int i = 0; i < 32; i++) {
                assertThat(results.get(i).get()).isEqualTo(contents.get(i));
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(budget.available()).isEqualTo(budget.total());
    }

    private byte[] readAll(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The same content for the same size on every run, so a failure can be repeated. */
    private static byte[] bytes(int size) {
        return RandomBytes.randomBytes(size, size);
    }

    /** Hands out at most 1000 bytes per read, as a socket does. */
    private static final class TrickleInputStream extends ByteArrayInputStream {
        TrickleInputStream(byte[] content) {
            super(content);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 1000));
        }
    }
}
