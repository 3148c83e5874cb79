package dev.berth.ops;

import dev.berth.registry.events.NotificationObserver;
import dev.berth.registry.events.NotificationProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * Notification deliveries as Micrometer meters, tagged by endpoint; listed in docs/operations.md. Every
 * configured endpoint's series are registered at 0 on start, so an alert reads 0 before the first failure.
 */
@Component
class NotificationMetrics implements NotificationObserver {

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();

    NotificationMetrics(MeterRegistry registry, NotificationProperties properties) {
        this.registry = registry;
        for (NotificationProperties.Endpoint endpoint : properties.endpoints()) {
            delivered(endpoint.name());
            failures(endpoint.name());
            givenUp(endpoint.name());
            latency(endpoint.name());
            pendingGauge(endpoint.name());
        }
    }

    @Override
    public void delivered(String endpoint, Duration latency) {
        delivered(endpoint).increment();
        latency(endpoint).record(latency);
    }

    @Override
    public void failed(String endpoint) {
        failures(endpoint).increment();
    }

    @Override
    public void gaveUp(String endpoint) {
        givenUp(endpoint).increment();
    }

    @Override
    public void pending(String endpoint, long events) {
        pendingGauge(endpoint).set(events);
    }

    private Counter delivered(String endpoint) {
        return Counter.builder("berth.notifications.delivered").description("events an endpoint answered 2xx to")
                .tag("endpoint", endpoint).register(registry);
    }

    private Counter failures(String endpoint) {
        return Counter.builder("berth.notifications.failed")
                .description("delivery attempts that failed (no answer in time, or not 2xx)")
                .tag("endpoint", endpoint).register(registry);
    }

    private Counter givenUp(String endpoint) {
        return Counter.builder("berth.notifications.given.up")
                .description("events deleted undelivered, older than the endpoint's max-age")
                .tag("endpoint", endpoint).register(registry);
    }

    private Timer latency(String endpoint) {
        return Timer.builder("berth.notifications.latency")
                .description("time from an event to the endpoint's 2xx").tag("endpoint", endpoint)
                .register(registry);
    }

    private AtomicLong pendingGauge(String endpoint) {
        return pending.computeIfAbsent(endpoint, name -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("berth.notifications.pending", value, AtomicLong::get)
                    .description("events waiting in the store, as this replica's last sweep counted them")
                    .tag("endpoint", name).register(registry);
            return value;
        });
    }
}
