package dev.berth.ops;

import dev.berth.registry.proxy.ProxyEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The pull-through cache's events as Micrometer meters (docs/operations.md lists them). Statuses are tagged
 * by class ({@code 2xx}, {@code 4xx}, ...) and the two that matter alone ({@code 401}: credentials,
 * {@code 429}: rate limits), {@code none} for no answer, so the series stay few whatever an upstream answers;
 * all are registered at 0 on start, cache or not, so a panel reads 0 rather than "no data".
 */
@Component
class ProxyMetrics implements ProxyEvents {

    private final MeterRegistry registry;
    private final Counter upstreamBytes;
    private final Counter stale;
    private final Counter waited;

    /** Every value of the status tag. */
    static final List<String> STATUSES = List.of("none", "2xx", "3xx", "401", "429", "4xx", "5xx");

    ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.upstreamBytes = Counter.builder("berth.proxy.upstream.received").baseUnit("bytes")
                .description("manifest and blob bytes received from upstream registries").register(registry);
        this.stale = Counter.builder("berth.proxy.stale.served")
                .description("cached tags served without a check, because the upstream failed it").register(registry);
        this.waited = Counter.builder("berth.proxy.fetch.waits")
                .description("blob requests that streamed another request's fetch instead of fetching")
                .register(registry);
        for (Kind kind : Kind.values()) {
            hits(kind);
            misses(kind);
        }
        for (String status : STATUSES) {
            errors(status);
            requests(status);
        }
    }

    @Override
    public void hit(Kind kind) {
        hits(kind).increment();
    }

    @Override
    public void miss(Kind kind) {
        misses(kind).increment();
    }

    @Override
    public void upstreamBytes(long bytes) {
        upstreamBytes.increment(bytes);
    }

    @Override
    public void upstreamRequest(int status, Duration duration) {
        requests(statusTag(status)).record(duration);
    }

    @Override
    public void upstreamError(int status) {
        errors(statusTag(status)).increment();
    }

    @Override
    public void staleServed() {
        stale.increment();
    }

    @Override
    public void sharedFetchWaited() {
        waited.increment();
    }

    static String statusTag(int status) {
        if (status < 200 || status > 599) {
            return "none";
        }
        return status == 401 || status == 429 ? Integer.toString(status) : (status / 100) + "xx";
    }

    private Counter hits(Kind kind) {
        return Counter.builder("berth.proxy.hits").description("cached manifests and blobs served from the store")
                .tag("kind", kind.name().toLowerCase()).register(registry);
    }

    private Counter misses(Kind kind) {
        return Counter.builder("berth.proxy.misses").description("manifests and blobs fetched from the upstream")
                .tag("kind", kind.name().toLowerCase()).register(registry);
    }

    private Timer requests(String status) {
        return Timer.builder("berth.proxy.upstream.requests").description("requests to upstream registries, by status")
                .tag("status", status).register(registry);
    }

    private Counter errors(String status) {
        return Counter.builder("berth.proxy.upstream.errors")
                .description("upstream failures that reached a request, by status").tag("status", status)
                .register(registry);
    }
}
