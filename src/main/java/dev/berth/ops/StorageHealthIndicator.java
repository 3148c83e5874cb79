package dev.berth.ops;

import dev.berth.storage.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of the store: writes, reads back and deletes a small probe object of this replica's own, with
 * a short timeout. A store that cannot do that in time cannot serve pushes, so the replica is not ready.
 * Details show the backend and the probe's latency, never any setting of the store.
 */
@Component("storage")
class StorageHealthIndicator implements HealthIndicator {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final StorageDriver store;
    private final String probePath = "berth/health/" + UUID.randomUUID();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "berth-storage-health");
        thread.setDaemon(true);
        return thread;
    });

    StorageHealthIndicator(StorageDriver store) {
        this.store = store;
    }

    @Override
    public Health health() {
        long start = System.nanoTime();
        Future<?> probe = executor.submit(this::probe);
        try {
            probe.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return Health.up()
                    .withDetail("backend", store.name())
                    .withDetail("latencyMillis", (System.nanoTime() - start) / 1_000_000)
                    .build();
        } catch (TimeoutException e) {
            probe.cancel(true);
            return Health.down().withDetail("backend", store.name())
                    .withDetail("error", "no answer within " + TIMEOUT.toMillis() + " ms").build();
        } catch (ExecutionException e) {
            return Health.down().withDetail("backend", store.name())
                    .withDetail("error", e.getCause().getClass().getSimpleName()).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().build();
        }
    }

    private void probe() {
        byte[] content = ("probe " + System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8);
        store.writeBytes(probePath, content);
        byte[] read = store.readAll(probePath);
        store.delete(probePath);
        if (!Arrays.equals(content, read)) {
            throw new IllegalStateException("the store returned other bytes than were written");
        }
    }
}
