package dev.berth.ops;

import dev.berth.storage.ObjectInfo;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Times every store operation ({@code berth.storage.operations}, by operation and backend) and counts its
 * failures ({@code berth.storage.errors}, by kind). A missing object is an answer, not an error; a lost
 * conditional write counts as {@code conflict}, anything else as {@code failure}. Every operation's meters are
 * registered when the driver is wrapped, so each series reads 0 until something happens.
 */
final class MeteredStorageDriver implements StorageDriver {

    private final StorageDriver delegate;
    private final MeterRegistry registry;
    private final Map<StorageOperation, OperationMeters> meters = new EnumMap<>(StorageOperation.class);

    MeteredStorageDriver(StorageDriver delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
        for (StorageOperation operation : StorageOperation.values()) {
            meters.put(operation, new OperationMeters(
                    Timer.builder("berth.storage.operations").description("store operations")
                            .tag("operation", operation.tag()).tag("backend", delegate.name()).register(registry),
                    errors(operation, "conflict"), errors(operation, "failure")));
        }
    }

    private Counter errors(StorageOperation operation, String kind) {
        return Counter.builder("berth.storage.errors").description("store operations that failed, by kind")
                .tag("operation", operation.tag()).tag("backend", delegate.name()).tag("kind", kind)
                .register(registry);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Optional<ObjectInfo> stat(String path) {
        return timed(StorageOperation.STAT, () -> delegate.stat(path));
    }

    @Override
    public InputStream read(String path, long offset) {
        return timed(StorageOperation.READ, () -> delegate.read(path, offset));
    }

    @Override
    public long write(String path, InputStream content) {
        return timed(StorageOperation.WRITE, () -> delegate.write(path, content));
    }

    @Override
    public Optional<VersionedObject> readVersioned(String path) {
        return timed(StorageOperation.READ_VERSIONED, () -> delegate.readVersioned(path));
    }

    @Override
    public String writeIfVersion(String path, byte[] content, String expectedVersion) {
        return timed(StorageOperation.WRITE_IF_VERSION, () -> delegate.writeIfVersion(path, content, expectedVersion));
    }

    @Override
    public List<String> list(String path) {
        return timed(StorageOperation.LIST, () -> delegate.list(path));
    }

    @Override
    public List<String> list(String path, String startAfter, int limit) {
        return timed(StorageOperation.LIST, () -> delegate.list(path, startAfter, limit));
    }

    @Override
    public Piece writePiece(String path, InputStream content) {
        return timed(StorageOperation.WRITE_PIECE, () -> delegate.writePiece(path, content));
    }

    @Override
    public long pieceBufferBytes() {
        return delegate.pieceBufferBytes();
    }

    @Override
    public void composePieces(String path, List<String> handles, String target) {
        timed(StorageOperation.COMPOSE_PIECES, () -> {
            delegate.composePieces(path, handles, target);
            return null;
        });
    }

    @Override
    public boolean publishPieces(String path, List<String> handles) {
        return timed(StorageOperation.PUBLISH_PIECES, () -> delegate.publishPieces(path, handles));
    }

    @Override
    public Optional<URI> readUrl(String path, Duration lifetime) {
        return timed(StorageOperation.READ_URL, () -> delegate.readUrl(path, lifetime));
    }

    @Override
    public Optional<byte[]> readBytes(String path) {
        return timed(StorageOperation.READ, () -> delegate.readBytes(path));
    }

    @Override
    public Optional<Path> localFile(String path) {
        return delegate.localFile(path);
    }

    @Override
    public void delete(String path) {
        timed(StorageOperation.DELETE, () -> {
            delegate.delete(path);
            return null;
        });
    }

    private <T> T timed(StorageOperation operation, Supplier<T> call) {
        OperationMeters meters = this.meters.get(operation);
        Timer.Sample sample = Timer.start(registry);
        try {
            return call.get();
        } catch (ObjectNotFoundException e) {
            throw e;
        } catch (VersionConflictException e) {
            meters.conflicts().increment();
            throw e;
        } catch (StorageException e) {
            meters.failures().increment();
            throw e;
        } finally {
            sample.stop(meters.duration());
        }
    }

    /** One operation's timer and its two error counters. */
    private record OperationMeters(Timer duration, Counter conflicts, Counter failures) {
    }
}
