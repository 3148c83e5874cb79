package dev.berth.support;

import dev.berth.storage.ObjectInfo;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.VersionedObject;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A fault-injection seam for tests: a replica started with this configuration ({@code BerthServer.start(
 * List.of(DyingStore.class), ...)}) can be made to die at the k-th store call from now. From that call on,
 * every store call of the replica throws {@link ReplicaDied} (an Error, which nothing in Berth catches), as
 * if the process had been killed between two writes; {@link #revive()} brings it back. Counting calls
 * without dying tells how many a request makes.
 */
@Configuration(proxyBeanMethods = false)
public class DyingStore {

    /** The replica's death, thrown from a store call. */
    public static final class ReplicaDied extends Error {
        ReplicaDied(String message) {
            super(message);
        }
    }

    /** Controls when the replica's store calls stop. */
    public static final class Fate {
        private final AtomicInteger countdown = new AtomicInteger(-1);
        private final AtomicInteger calls = new AtomicInteger();
        private volatile boolean dead;

        /** The {@code k}-th store call from now (1 = the next) and every one after it fail. */
        public void dieAtCall(int k) {
            calls.set(0);
            countdown.set(k);
        }

        /** Counts store calls from now, without dying. */
        public void countCalls() {
            calls.set(0);
            countdown.set(-1);
        }

        public int calls() {
            return calls.get();
        }

        public void revive() {
            dead = false;
            countdown.set(-1);
        }

        void call(String operation, String path) {
            calls.incrementAndGet();
            if (dead || countdown.get() > 0 && countdown.decrementAndGet() == 0) {
                dead = true;
                throw new ReplicaDied("replica died at " + operation + " " + path);
            }
        }
    }

    @Bean
    Fate fate() {
        return new Fate();
    }

    @Bean
    static BeanPostProcessor dyingStoreDriver(org.springframework.beans.factory.ObjectProvider<Fate> fate) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof StorageDriver driver && !(bean instanceof Dying)) {
                    return new Dying(driver, fate.getObject());
                }
                return bean;
            }
        };
    }

    private record Dying(StorageDriver delegate, Fate fate) implements StorageDriver {

        private <T> T call(String operation, String path, Supplier<T> action) {
            fate.call(operation, path);
            return action.get();
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public Optional<ObjectInfo> stat(String path) {
            return call("stat", path, () -> delegate.stat(path));
        }

        @Override
        public InputStream read(String path, long offset) {
            return call("read", path, () -> delegate.read(path, offset));
        }

        @Override
        public long write(String path, InputStream content) {
            return call("write", path, () -> delegate.write(path, content));
        }

        @Override
        public Optional<VersionedObject> readVersioned(String path) {
            return call("readVersioned", path, () -> delegate.readVersioned(path));
        }

        @Override
        public String writeIfVersion(String path, byte[] content, String expectedVersion) {
            return call("writeIfVersion", path, () -> delegate.writeIfVersion(path, content, expectedVersion));
        }

        @Override
        public List<String> list(String path) {
            return call("list", path, () -> delegate.list(path));
        }

        @Override
        public List<String> list(String path, String startAfter, int limit) {
            return call("list", path, () -> delegate.list(path, startAfter, limit));
        }

        @Override
        public Piece writePiece(String path, InputStream content) {
            return call("writePiece", path, () -> delegate.writePiece(path, content));
        }

        @Override
        public void composePieces(String path, List<String> handles, String target) {
            call("composePieces", target, () -> {
                delegate.composePieces(path, handles, target);
                return null;
            });
        }

        @Override
        public boolean publishPieces(String path, List<String> handles) {
            return call("publishPieces", path, () -> delegate.publishPieces(path, handles));
        }

        @Override
        public void delete(String path) {
            call("delete", path, () -> {
                delegate.delete(path);
                return null;
            });
        }

        @Override
        public long pieceBufferBytes() {
            return delegate.pieceBufferBytes();
        }

        @Override
        public Optional<URI> readUrl(String path, Duration lifetime) {
            return call("readUrl", path, () -> delegate.readUrl(path, lifetime));
        }

        @Override
        public Optional<Path> localFile(String path) {
            return call("localFile", path, () -> delegate.localFile(path));
        }

        @Override
        public Optional<byte[]> readBytes(String path) {
            return call("readBytes", path, () -> delegate.readBytes(path));
        }
    }
}
