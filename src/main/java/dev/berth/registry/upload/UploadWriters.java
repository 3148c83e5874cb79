package dev.berth.registry.upload;

import jakarta.annotation.PreDestroy;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * The threads that write upload bodies into the store while request threads hash them ({@link HashingPipe}):
 * one per body in flight, daemons, stopped with the application.
 */
@Component
class UploadWriters {

    private final AtomicInteger count = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "berth-upload-writer-" + count.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    ExecutorService executor() {
        return executor;
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
