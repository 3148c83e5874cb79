package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.gc.GcServices.Blob;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A cached tag or manifest pulled while a run is deciding to evict it stays: the run checks its last pull
 * again right before each deletion, as the other prunings check their tags and revisions. On a store in
 * memory, with pulls recorded in a map the test fills.
 */
class CacheEvictionRaceTest {

    static final RepositoryName CACHED = new RepositoryName("hub/library/app");
    static final Duration EVICT_AFTER = Duration.ofDays(30);

    final GcServices services = new GcServices();
    final Map<Digest, Instant> pulls = new ConcurrentHashMap<>();
    final CacheEviction eviction = new CacheEviction() {
        @Override
        public boolean any() {
            return true;
        }

        @Override
        public Optional<Duration> evictAfter(RepositoryName repository) {
            return repository.value().startsWith("hub/") ? Optional.of(EVICT_AFTER) : Optional.empty();
        }

        @Override
        public Optional<Instant> lastPulled(RepositoryName repository, Digest manifest) {
            return Optional.ofNullable(pulls.get(manifest));
        }

        @Override
        public void forgetTag(RepositoryName repository, String tag) {
        }

        @Override
        public void forgetManifest(RepositoryName repository, Digest manifest) {
            pulls.remove(manifest);
        }
    };

    @AfterEach
    void stop() {
        services.close();
    }

    @Test
    void aTagAndManifestPulledWhileTheRunDecidesStayTheUnpulledOnesGo() {
        Blob pulledLayer = Blob.random(1000);
        Blob pulled = services.pushImage(CACHED, "pulled", Blob.random(100), pulledLayer);
        Blob idleLayer = Blob.random(1001);
        Blob idle = services.pushImage(CACHED, "idle", Blob.random(101), idleLayer);
        services.clock.advance(EVICT_AFTER.plusHours(2));

        GcReport report = services.evicting(eviction, new GcSteps() {
            @Override
            public void untagging(RepositoryName repository, String tag) {
                if (tag.equals("pulled")) {
                    pulls.put(pulled.digest(), services.clock.instant()); // a pull lands after the listing
                }
            }

            @Override
            public void pruning(RepositoryName repository, Digest manifest) {
                if (manifest.equals(pulled.digest())) {
                    pulls.put(pulled.digest(), services.clock.instant());
                }
            }
        }).run();

        assertThat(report.pruned()).containsExactlyInAnyOrder(
                new GcReport.Pruned(CACHED.value(), "idle", idle.digest().toString(), "evicted: not pulled for 30d"),
                new GcReport.Pruned(CACHED.value(), null, idle.digest().toString(), "evicted: not pulled for 30d"));
        assertThat(services.tags(CACHED)).containsExactly("pulled");
        assertThat(services.hasRevision(CACHED, pulled)).isTrue();
        assertThat(services.readable(CACHED, pulledLayer)).isTrue();
        assertThat(services.hasRevision(CACHED, idle)).isFalse();
        assertThat(services.stored(idleLayer)).as("collected in the same run").isFalse();
    }
}
