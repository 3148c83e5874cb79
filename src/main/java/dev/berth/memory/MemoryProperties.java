package dev.berth.memory;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The heap a replica's requests may hold at once.
 *
 * @param budget bytes shared by every request for what it holds in memory: the buffers of upload bodies on
 *     their way to the store and of blobs on their way to clients, and documents held whole (manifests,
 *     referrer descriptors); unset: a quarter of the JVM's maximum heap, at least 32 MB
 * @param maxWait how long a request waits for its share when the budget is spent before it is answered
 *     {@code 429 TOOMANYREQUESTS}: pushes and pulls slow down under load rather than fail
 */
@ConfigurationProperties("berth.memory")
public record MemoryProperties(DataSize budget, @DefaultValue("5m") Duration maxWait) {

    /** The budget in bytes: as configured, or sized from the heap. */
    public long budgetBytes() {
        if (budget != null) {
            return budget.toBytes();
        }
        return Math.max(32L << 20, Runtime.getRuntime().maxMemory() / 4);
    }
}
