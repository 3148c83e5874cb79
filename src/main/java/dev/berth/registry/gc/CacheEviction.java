package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The repositories whose content garbage collection evicts once nobody has pulled it for a while (those of
 * the pull-through cache, which can fetch it again), and when each of their manifests was last pulled. The
 * cache provides it: the collector knows nothing of upstreams.
 */
public interface CacheEviction {

    CacheEviction NONE = new CacheEviction() {
        @Override
        public boolean any() {
            return false;
        }

        @Override
        public Optional<Duration> evictAfter(RepositoryName repository) {
            return Optional.empty();
        }

        @Override
        public Optional<Instant> lastPulled(RepositoryName repository, Digest manifest) {
            return Optional.empty();
        }

        @Override
        public void forgetTag(RepositoryName repository, String tag) {
        }

        @Override
        public void forgetManifest(RepositoryName repository, Digest manifest) {
        }
    };

    /** Whether any repository's content is evicted. */
    boolean any();

    /** How long the repository's content may go unpulled before it is evicted; empty: it never is. */
    Optional<Duration> evictAfter(RepositoryName repository);

    /**
     * When the manifest was last pulled, as recorded: a pull is recorded at most once per
     * {@link #RECORDED_EVERY}, so the last pull may be up to that much later. Empty: no pull recorded.
     */
    Optional<Instant> lastPulled(RepositoryName repository, Digest manifest);

    /** How often, at most, a pull of one manifest is recorded. */
    Duration RECORDED_EVERY = Duration.ofHours(1);

    /** Deletes what the cache keeps about an evicted tag. */
    void forgetTag(RepositoryName repository, String tag);

    /** Deletes what the cache keeps about an evicted manifest. */
    void forgetManifest(RepositoryName repository, Digest manifest);
}
