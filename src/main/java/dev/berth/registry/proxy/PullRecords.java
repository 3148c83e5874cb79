package dev.berth.registry.proxy;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.gc.CacheEviction;
import dev.berth.storage.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * When each manifest of a cached repository was last pulled, by tag or by digest: a small object per
 * manifest in the store ({@link StorePaths#proxyPulled}), holding a time, which garbage collection reads to
 * evict what nobody pulls any more ({@link CacheEviction}).
 *
 * <p>A pull is recorded at most once per {@link CacheEviction#RECORDED_EVERY} (an hour), not at every pull
 * nor at every tag check: eviction times are days, so an hour is precise enough, and it bounds the writes
 * whatever the tag's time to live ({@code 0} checks at every pull). Each replica remembers what it recorded
 * or read within the hour, so most pulls cost no store call at all; the others cost one read, and one write
 * an hour per manifest pulled.
 */
@Component
class PullRecords implements CacheEviction {

    private static final Logger log = LoggerFactory.getLogger(PullRecords.class);
    /** The most manifests a replica remembers; forgotten all at once when full, which costs re-reads only. */
    private static final int MAX_REMEMBERED = 10_000;

    private final StorageDriver store;
    private final ProxyRules rules;
    private final TagChecks checks;
    private final Clock clock;
    /** When each manifest's pull was last recorded, as this replica wrote or read it. */
    private final Map<String, Instant> recorded = new ConcurrentHashMap<>();

    PullRecords(StorageDriver store, ProxyRules rules, TagChecks checks, Optional<Clock> clock) {
        this.store = store;
        this.rules = rules;
        this.checks = checks;
        this.clock = clock.orElse(Clock.systemUTC());
    }

    /**
     * Records a pull of {@code manifest} unless one was recorded within the hour. Never fails the pull: a
     * record the store refuses is logged, and costs at worst an early eviction (the content is fetched again).
     */
    void pulled(RepositoryName repository, Digest manifest) {
        if (rules.evictAfter(repository).isEmpty()) {
            return; // never evicted: nothing reads the record
        }
        Instant now = clock.instant();
        String key = repository + "@" + manifest;
        Instant known = recorded.get(key);
        if (known != null && now.isBefore(known.plus(RECORDED_EVERY))) {
            return;
        }
        try {
            Optional<Instant> stored = lastPulled(repository, manifest);
            if (stored.isPresent() && now.isBefore(stored.get().plus(RECORDED_EVERY))) {
                remember(key, stored.get());
                return;
            }
            store.writeBytes(StorePaths.proxyPulled(repository, manifest), now.toString().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            log.warn("the pull of {}@{} was not recorded (tried again in an hour): {}", repository, manifest,
                    e.getMessage());
        }
        remember(key, now);
    }

    private void remember(String key, Instant at) {
        if (recorded.size() >= MAX_REMEMBERED) {
            recorded.clear();
        }
        recorded.put(key, at);
    }

    @Override
    public boolean any() {
        return rules.evicts();
    }

    @Override
    public Optional<Duration> evictAfter(RepositoryName repository) {
        return rules.evictAfter(repository);
    }

    @Override
    public Optional<Instant> lastPulled(RepositoryName repository, Digest manifest) {
        Optional<byte[]> content = store.readBytes(StorePaths.proxyPulled(repository, manifest));
        try {
            return content.map(bytes -> Instant.parse(new String(bytes, StandardCharsets.UTF_8).trim()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    @Override
    public void forgetTag(RepositoryName repository, String tag) {
        checks.forget(repository, tag);
    }

    @Override
    public void forgetManifest(RepositoryName repository, Digest manifest) {
        store.delete(StorePaths.proxyPulled(repository, manifest));
    }
}
