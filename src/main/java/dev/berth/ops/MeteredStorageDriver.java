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
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Times every store operation ({@code berth.storage.operations}, by operation and backend) and counts its
 * failures ({@code berth.storage.errors}, by kind). A missing object is an answer, not an error; a lost
 * conditional write counts as {@code conflict}, anything else as {@code failure}.
 */
final class MeteredStorageDriver implements StorageDriver {

    private final StorageDriver delegate;
    private final MeterRegistry registry;

    MeteredStorageDriver(StorageDriver delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Optional<ObjectInfo> stat(String path) {
        return timed("stat", () -> delegate.stat(path));
    }

    @Override
    public InputStream read(String path, long offset) {
        return timed("read", () -> delegate.read(path, offset));
    }

    @Override
    public long write(String path, InputStream content) {
        return timed("write", () -> delegate.write(path, content));
    }

    @Override
    public Optional<VersionedObject> readVersioned(String path) {
        return timed("read_versioned", () -> delegate.readVersioned(path));
    }

    @Override
    public String writeIfVersion(String path, byte[] content, String expectedVersion) {
        return timed("write_if_version", () -> delegate.writeIfVersion(path, content, expectedVersion));
    }

    @Override
    public List<String> list(String path) {
        return timed("list", () -> delegate.list(path));
    }

    @Override
    public List<String> list(String path, String startAfter, int limit) {
        return timed("list", () -> delegate.list(path, startAfter, limit));
    }

    @Override
    public Piece writePiece(String path, InputStream content) {
        return timed("write_piece", () -> delegate.writePiece(path, content));
    }

    @Override
    public long pieceBufferBytes() {
        return delegate.pieceBufferBytes();
    }

    @Override
    public void composePieces(String path, List<String> handles, String target) {
        timed("compose_pieces", () -> {
            delegate.composePieces(path, handles, target);
            return null;
        });
    }

    @Override
    public Optional<URI> readUrl(String path, Duration lifetime) {
        return timed("read_url", () -> delegate.readUrl(path, lifetime));
    }

    @Override
    public Optional<byte[]> readBytes(String path) {
        return timed("read", () -> delegate.readBytes(path));
    }

    @Override
    public Optional<Path> localFile(String path) {
        return delegate.localFile(path);
    }

    @Override
    public void delete(String path) {
        timed("delete", () -> {
            delegate.delete(path);
            return null;
        });
    }

    private <T> T timed(String operation, Supplier<T> call) {
        Timer.Sample sample = Timer.start(registry);
        try {
            return call.get();
        } catch (ObjectNotFoundException e) {
            throw e;
        } catch (VersionConflictException e) {
            error(operation, "conflict");
            throw e;
        } catch (StorageException e) {
            error(operation, "failure");
            throw e;
        } finally {
            sample.stop(Timer.builder("berth.storage.operations").description("store operations")
                    .tag("operation", operation).tag("backend", delegate.name()).register(registry));
        }
    }

    private void error(String operation, String kind) {
        Counter.builder("berth.storage.errors").description("store operations that failed, by kind")
                .tag("operation", operation).tag("backend", delegate.name()).tag("kind", kind)
                .register(registry).increment();
    }
}
