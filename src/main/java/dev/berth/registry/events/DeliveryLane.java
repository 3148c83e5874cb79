package dev.berth.registry.events;

import java.time.Duration;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the events this replica wrote for one endpoint right away, in the order it wrote them, on a thread of
 * its own. An event that fails is tried again after a wait that doubles up to the endpoint's {@code backoff.max}
 * (the events behind it wait, so they keep their order), until the endpoint takes it, someone else delivered it
 * (it is gone from the outbox: the sweeper did), or it is too old.
 * <p>
 * The queue is bounded. An event that does not fit stays in the store only, and so do all that follow: the lane
 * empties its queue and leaves the endpoint to the sweeper, which delivers in the order of the events' times,
 * until it finds the endpoint's outbox empty. Were it to go on queueing, a later event could overtake one that
 * did not fit.
 */
final class DeliveryLane {

    private static final Logger log = LoggerFactory.getLogger(DeliveryLane.class);

    private final ConfiguredEndpoint endpoint;
    private final Delivery delivery;
    private final Outbox outbox;
    private final int capacity;
    private final ArrayDeque<Outbox.Entry> queue = new ArrayDeque<>();
    private final Thread worker;
    /** Events go to the store only, until the endpoint's outbox is seen empty. */
    private boolean spilled;
    private volatile boolean stopped;

    DeliveryLane(ConfiguredEndpoint endpoint, Delivery delivery, Outbox outbox, int capacity) {
        this.endpoint = endpoint;
        this.delivery = delivery;
        this.outbox = outbox;
        this.capacity = capacity;
        this.worker = new Thread(this::run, "berth-notify-" + endpoint.name());
        this.worker.setDaemon(true);
    }

    void start() {
        worker.start();
    }

    void stop() {
        stopped = true;
        worker.interrupt();
    }

    /** Queues an event just written to the outbox; false when it is left to the sweeper. */
    synchronized boolean offer(Outbox.Entry entry) {
        if (spilled) {
            return false;
        }
        if (queue.size() >= capacity) {
            log.warn("more than {} notifications wait for endpoint {} on this replica: the sweeper delivers them"
                    + " from the store until it is empty", capacity, endpoint.name());
            spilled = true;
            queue.clear();
            return false;
        }
        queue.addLast(entry);
        notifyAll();
        return true;
    }

    private void run() {
        Duration backoff = endpoint.settings().backoff().initial();
        while (!stopped) {
            try {
                Outbox.Entry head = awaitHead();
                Delivery.Outcome outcome = delivery.attempt(endpoint, head);
                if (outcome == Delivery.Outcome.FAILED) {
                    pause(backoff);
                    backoff = doubled(backoff);
                    if (!outbox.exists(head)) {
                        removeHead(head); // the sweeper delivered it meanwhile
                    }
                } else {
                    removeHead(head);
                    backoff = endpoint.settings().backoff().initial();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A store failure: the event stays in the outbox, and in the queue for the next attempt.
                log.warn("delivering a notification to endpoint {} failed: {}", endpoint.name(), e.getMessage());
                try {
                    pause(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = doubled(backoff);
            }
        }
    }

    /** The oldest queued event; while spilled, waits for the outbox to be found empty first. */
    private Outbox.Entry awaitHead() throws InterruptedException {
        while (true) {
            synchronized (this) {
                if (spilled) {
                    // Under the lock, so no event is refused while the outbox is seen empty and queued after.
                    if (outbox.count(endpoint.name(), 1) == 0) {
                        spilled = false;
                        log.info("notifications to endpoint {} are sent right away again", endpoint.name());
                    }
                } else if (!queue.isEmpty()) {
                    return queue.peekFirst();
                } else {
                    wait();
                    continue;
                }
            }
            pause(endpoint.settings().backoff().initial());
        }
    }

    private synchronized void removeHead(Outbox.Entry head) {
        if (queue.peekFirst() == head) {
            queue.removeFirst();
        }
    }

    private void pause(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    private Duration doubled(Duration backoff) {
        Duration max = endpoint.settings().backoff().max();
        return backoff.multipliedBy(2).compareTo(max) > 0 ? max : backoff.multipliedBy(2);
    }
}
