package dev.berth.ops;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Background work every replica runs at an interval, on a daemon thread of its own (the upload purge, the
 * garbage collection). The first run waits a random part of an interval so replicas started together do not
 * all reach for the work's lease at once; a failed run is logged and the schedule goes on.
 */
abstract class StaggeredSchedule implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(StaggeredSchedule.class);

    private final String work;
    private final String threadName;
    private final boolean enabled;
    private final Duration interval;
    private ScheduledExecutorService executor;

    /** {@code work}: what the logs call it; {@code enabled}: false leaves the schedule off. */
    StaggeredSchedule(String work, String threadName, boolean enabled, Duration interval) {
        this.work = work;
        this.threadName = threadName;
        this.enabled = enabled;
        this.interval = interval;
    }

    /** One run of the work. */
    abstract void runOnce();

    @Override
    public synchronized void start() {
        if (!enabled) {
            return;
        }
        long millis = interval.toMillis();
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::runLogged, ThreadLocalRandom.current().nextLong(millis + 1), millis,
                TimeUnit.MILLISECONDS);
    }

    private void runLogged() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            // A store outage must not end the schedule: the next run tries again.
            log.warn("{} failed: {}", work, e.getMessage());
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
