package dev.berth.ops;

import dev.berth.registry.upload.UploadProperties;
import dev.berth.registry.upload.UploadPurge;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs the upload purge on every replica at the configured interval. The first run waits a random part of
 * an interval so replicas started together do not all reach for the purge lock at once.
 */
@Component
class UploadPurgeScheduler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UploadPurgeScheduler.class);

    private final UploadPurge purge;
    private final UploadProperties.Purge properties;
    private ScheduledExecutorService executor;

    UploadPurgeScheduler(UploadPurge purge, UploadProperties properties) {
        this.purge = purge;
        this.properties = properties.purge();
    }

    @Override
    public synchronized void start() {
        if (!properties.enabled()) {
            return;
        }
        long interval = properties.interval().toMillis();
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "berth-upload-purge");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::runOnce, ThreadLocalRandom.current().nextLong(interval + 1), interval,
                TimeUnit.MILLISECONDS);
    }

    private void runOnce() {
        try {
            purge.run();
        } catch (RuntimeException e) {
            // A store outage must not end the schedule: the next run tries again.
            log.warn("upload purge failed: {}", e.getMessage());
        }
    }

    @Override
    public synchronized void stop() {
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }
}
