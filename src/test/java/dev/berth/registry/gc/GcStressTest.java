package dev.berth.registry.gc;

import static dev.berth.registry.gc.GcServices.imageManifest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.gc.GcServices.Blob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Clients pushing small random images (often reusing blobs of images deleted before, the case the collector
 * must not get wrong) and deleting some, while garbage collection runs again and again with a short grace
 * and settle time. Every manifest accepted and not deleted must have every blob it references readable, right
 * after its push and at the end; and once the pushes stop, one more run leaves exactly those blobs.
 */
class GcStressTest {

    static final Duration RUN_FOR = Duration.ofSeconds(5);
    static final int PUSHERS = 3;

    /** A manifest a client got 201 for, and the blobs it references. */
    record Accepted(RepositoryName repository, Blob manifest, List<Blob> blobs) {
    }

    final GcServices services = new GcServices();
    final List<Blob> reusable = new CopyOnWriteArrayList<>();
    final Map<Digest, Accepted> accepted = new ConcurrentHashMap<>();
    final AtomicBoolean pushing = new AtomicBoolean(true);

    @AfterEach
    void stop() {
        services.close();
    }

    @Test
    void everyAcceptedManifestKeepsItsBlobsWhileGarbageCollectionRunsAgainAndAgain() throws Exception {
        for (int i = 0; i < 8; i++) {
            reusable.add(Blob.random(300 + i));
        }
        ExecutorService threads = Executors.newFixedThreadPool(PUSHERS + 1);
        List<Future<?>> pushers = new ArrayList<>();
        for (int i = 0; i < PUSHERS; i++) {
            RepositoryName repository = new RepositoryName("stress/client" + i);
            long seed = i;
            pushers.add(threads.submit(() -> {
                pushAndDelete(repository, new Random(seed));
                return null;
            }));
        }
        GarbageCollector collector = services.sleepingCollector(Duration.ofMillis(100), Duration.ofMillis(500));
        Future<Integer> runs = threads.submit(() -> {
            int count = 0;
            while (pushing.get()) {
                collector.run();
                // Time passes between runs too (a run without candidates does not wait out the settle time).
                services.clock.advance(Duration.ofMillis(200));
                count++;
            }
            return count;
        });
        Thread.sleep(RUN_FOR.toMillis());
        pushing.set(false);
        for (Future<?> pusher : pushers) {
            pusher.get(60, TimeUnit.SECONDS);
        }
        assertThat(runs.get(60, TimeUnit.SECONDS)).as("collection runs during the pushes").isGreaterThanOrEqualTo(3);
        threads.shutdown();

        assertThat(services.failures.get()).as("runs that broke off").isZero();
        assertThat(services.reports.stream().mapToInt(GcReport::deleted).sum()).as("blobs deleted during the pushes")
                .isPositive();
        assertThat(accepted).as("manifests accepted").isNotEmpty();
        accepted.values().forEach(this::assertPullable);

        services.ageEverything();
        services.collector().run();

        accepted.values().forEach(this::assertPullable);
        Set<Digest> referenced = new HashSet<>();
        accepted.values().forEach(image -> {
            referenced.add(image.manifest().digest());
            image.blobs().forEach(blob -> referenced.add(blob.digest()));
        });
        Set<Digest> stored = new StoredBlobs(services.store).list(digest -> true).stream()
                .map(StoredBlobs.Stored::digest).collect(Collectors.toSet());
        assertThat(stored).as("the blobs left once pushes stopped: exactly those referenced")
                .containsExactlyInAnyOrderElementsOf(referenced);
        assertThat(services.markers()).isEmpty();
    }

    /** A client: pushes images as docker does (skipping blobs a HEAD finds) and now and then deletes one. */
    private void pushAndDelete(RepositoryName repository, Random random) {
        List<Accepted> mine = new ArrayList<>();
        while (pushing.get()) {
            if (mine.isEmpty() || random.nextInt(10) < 7) {
                mine.add(pushImage(repository, random));
            } else {
                Accepted deleted = mine.remove(random.nextInt(mine.size()));
                accepted.remove(deleted.manifest().digest());
                services.manifests.delete(repository, deleted.manifest().digest().toString());
            }
        }
    }

    private Accepted pushImage(RepositoryName repository, Random random) {
        Blob config = Blob.random(50 + random.nextInt(50));
        List<Blob> layers = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
            if (random.nextBoolean()) {
                layers.add(reusable.get(random.nextInt(reusable.size())));
            } else {
                Blob layer = Blob.random(200 + random.nextInt(2000));
                layers.add(layer);
                reusable.add(layer);
            }
        }
        Blob manifest = imageManifest(config, layers.toArray(Blob[]::new));
        List<Blob> blobs = new ArrayList<>(layers);
        blobs.add(config);
        for (int attempt = 1; ; attempt++) {
            for (Blob blob : blobs) {
                if (services.blobs.find(repository, blob.digest()).isEmpty()) {
                    services.push(repository, blob);
                }
            }
            try {
                services.putManifest(repository, manifest.digest().toString(), manifest);
                break;
            } catch (RegistryException refused) {
                // A blob the client found was collected meanwhile: it pushes it again, as docker does.
                assertThat(refused.code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN);
                assertThat(attempt).as("attempts to push one image").isLessThan(10);
            }
        }
        Accepted image = new Accepted(repository, manifest, List.copyOf(blobs));
        accepted.put(manifest.digest(), image);
        assertPullable(image);
        return image;
    }

    private void assertPullable(Accepted image) {
        assertThat(services.readable(image.repository(), image.manifest())).as("manifest %s",
                image.manifest().digest()).isTrue();
        for (Blob blob : image.blobs()) {
            assertThat(services.readable(image.repository(), blob)).as("blob %s of %s in %s", blob.digest(),
                    image.manifest().digest(), image.repository()).isTrue();
        }
    }
}
