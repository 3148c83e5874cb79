package dev.berth.registry.events;

import dev.berth.registry.StoreLease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the events nobody delivered: their writer died, or is still trying. Every replica sweeps each
 * endpoint at {@code berth.notifications.sweep-interval}, one at a time per endpoint (a lease in the store),
 * oldest event first, only events older than {@code sweep-after} (younger ones are their writer's). The first
 * failure ends the endpoint's sweep, so no event overtakes an older one, and the endpoint is left alone for a
 * wait that doubles while it keeps failing. A sweep is bounded: {@code sweep-batch} events, half the lease.
 */
final class OutboxSweeper {

    private static final Logger log = LoggerFactory.getLogger(OutboxSweeper.class);
    /** Counting the outbox for the pending metric stops here. */
    static final int COUNT_LIMIT = 10_000;
    /** An hour folder this much older than now is no longer written to and is removed once empty. */
    private static final Duration BUCKET_RETIRED = Duration.ofHours(2);

    private final Outbox outbox;
    private final Delivery delivery;
    private final NotificationProperties properties;
    private final Function<String, StoreLease> leases;
    private final NotificationObserver observer;
    private final Clock clock;
    private final Map<String, Backoff> backoffs = new HashMap<>();

    private record Backoff(Instant notBefore, Duration delay) {
    }

    OutboxSweeper(Outbox outbox, Delivery delivery, NotificationProperties properties,
            Function<String, StoreLease> leases, NotificationObserver observer, Clock clock) {
        this.outbox = outbox;
        this.delivery = delivery;
        this.properties = properties;
        this.leases = leases;
        this.observer = observer;
        this.clock = clock;
    }

    /** One sweep of every endpoint whose lease this replica gets; returns the events delivered. */
    synchronized int sweep(List<ConfiguredEndpoint> endpoints) {
        int delivered = 0;
        for (ConfiguredEndpoint endpoint : endpoints) {
            Backoff backoff = backoffs.get(endpoint.name());
            if (backoff != null && clock.instant().isBefore(backoff.notBefore())) {
                continue;
            }
            if (!hasEventToSweep(endpoint)) {
                continue; // a listing or two, instead of taking and releasing the lease on every tick
            }
            StoreLease lease = leases.apply(endpoint.name());
            Optional<String> held = lease.tryAcquire(properties.lockTimeout());
            if (held.isEmpty()) {
                continue;
            }
            try {
                delivered += sweep(endpoint);
                observer.pending(endpoint.name(), outbox.count(endpoint.name(), COUNT_LIMIT));
            } finally {
                lease.release(held.get());
            }
        }
        return delivered;
    }

    private int sweep(ConfiguredEndpoint endpoint) {
        Instant started = clock.instant();
        Instant deadline = started.plus(properties.lockTimeout().dividedBy(2));
        Instant youngest = started.minus(properties.sweepAfter());
        int delivered = 0;
        int handled = 0;
        for (String bucket : outbox.buckets(endpoint.name())) {
            String after = null;
            while (true) {
                List<String> page = outbox.names(endpoint.name(), bucket, after, Outbox.PAGE);
                if (page.isEmpty()) {
                    retireIfEmpty(endpoint, bucket, after == null);
                    break;
                }
                for (String name : page) {
                    if (!Outbox.timeOf(name).isBefore(youngest)) {
                        return delivered; // this one and all after it are left to their writers for now
                    }
                    if (handled++ >= properties.sweepBatch() || clock.instant().isAfter(deadline)) {
                        return delivered;
                    }
                    Optional<Outbox.Entry> entry = outbox.read(endpoint.name(), bucket, name);
                    if (entry.isEmpty()) {
                        continue; // delivered meanwhile
                    }
                    switch (delivery.attempt(endpoint, entry.get())) {
                        case DELIVERED -> {
                            delivered++;
                            backoffs.remove(endpoint.name());
                        }
                        case GAVE_UP -> {
                        }
                        case FAILED -> {
                            backOff(endpoint);
                            return delivered;
                        }
                    }
                }
                if (page.size() < Outbox.PAGE) {
                    break;
                }
                after = page.get(page.size() - 1);
            }
        }
        return delivered;
    }

    /**
     * Whether the endpoint's oldest event is old enough to sweep. Removes the long-past hour folders it finds
     * empty on the way, so that an endpoint whose events all go out right away keeps no folders.
     */
    private boolean hasEventToSweep(ConfiguredEndpoint endpoint) {
        Instant youngest = clock.instant().minus(properties.sweepAfter());
        for (String bucket : outbox.buckets(endpoint.name())) {
            List<String> first = outbox.names(endpoint.name(), bucket, null, 1);
            if (!first.isEmpty()) {
                return Outbox.timeOf(first.get(0)).isBefore(youngest);
            }
            retireIfEmpty(endpoint, bucket, true);
        }
        observer.pending(endpoint.name(), 0);
        return false;
    }

    private void backOff(ConfiguredEndpoint endpoint) {
        NotificationProperties.Backoff settings = endpoint.settings().backoff();
        Backoff previous = backoffs.get(endpoint.name());
        Duration wait = previous == null ? settings.initial() : previous.delay().multipliedBy(2);
        if (wait.compareTo(settings.max()) > 0) {
            wait = settings.max();
        }
        backoffs.put(endpoint.name(), new Backoff(clock.instant().plus(wait), wait));
        log.warn("notification endpoint {} fails; the sweeper tries it again in {}", endpoint.name(), wait);
    }

    private void retireIfEmpty(ConfiguredEndpoint endpoint, String bucket, boolean empty) {
        if (empty && Outbox.bucketStart(bucket).isBefore(clock.instant().minus(BUCKET_RETIRED))) {
            outbox.deleteBucket(endpoint.name(), bucket);
        }
    }
}
