package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.memory.BufferPool;
import dev.berth.memory.MemoryBudget;
import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.StoreReadsAhead;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcProperties;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.manifest.ManifestProperties;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.StoredManifest;
import dev.berth.registry.tag.TagService;
import dev.berth.registry.upload.UploadServices;
import dev.berth.storage.StorageDriver;
import dev.berth.support.InMemoryStorageDriver;
import dev.berth.support.MovableClock;
import dev.berth.support.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * Garbage collection evicts cached content nobody pulled for {@code evict-after}, with its blobs, in one run;
 * what is pulled stays, by tag or by digest; what is pulled again after its eviction comes back from the
 * upstream; and pulls record themselves at most hourly, not at every pull. The cache's services over a store
 * in memory and a clock the test moves, in front of a fake upstream on loopback.
 */
class CacheEvictionTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final Duration EVICT_AFTER = Duration.ofDays(30);
    private static final RepositoryName APP = new RepositoryName("hub/library/app");
    private static final RepositoryName IDLE = new RepositoryName("hub/library/idle");
    private static final RepositoryName PUSHED = new RepositoryName("team/app");
    private static final Set<String> WRITES = Set.of("write", "writeBytes", "writeIfVersion", "writePiece",
            "composePieces", "delete");

    final MovableClock clock = new MovableClock();
    final InMemoryStorageDriver memory = new InMemoryStorageDriver(clock);
    /** Store writes (and deletes) made through {@link #store} since the test last reset it. */
    final AtomicInteger writes = new AtomicInteger();
    final StorageDriver store = counting(memory, writes);
    final UploadServices uploadServices = UploadServices.on(clock, memory);
    final BlobService blobs = uploadServices.blobs();
    final Documents documents = new Documents(store, new MemoryBudget(64L << 20, Duration.ofSeconds(5)));
    final ManifestProperties limits = new ManifestProperties(DataSize.ofMegabytes(4), 1000,
            new ManifestProperties.Urls(List.of(), List.of()));
    final ManifestService manifests = new ManifestService(store, blobs, new TagService(store), JSON, limits,
            documents, uploadServices.rescue());
    final FakeUpstream upstream = new FakeUpstream();
    final ProxyRules rules = new ProxyRules(new ProxyProperties(List.of(new ProxyProperties.Rule("hub",
            URI.create(upstream.url()), null, null, Duration.ofMinutes(5), Duration.ofSeconds(5),
            Duration.ofSeconds(30), EVICT_AFTER)), null), JSON, Optional.empty());
    final TagChecks checks = new TagChecks(store, Optional.of(clock));
    final PullRecords pulls = new PullRecords(store, rules, checks, Optional.of(clock));
    final PullThroughCache cache = cacheReplica();
    final CachedBlobs cachedBlobs = cachedBlobs();

    @AfterEach
    void stop() {
        upstream.close();
        cachedBlobs.close();
        uploadServices.close();
    }

    @Test
    void contentNotPulledForTheTimeIsEvictedWithItsBlobsAndComesBackFromTheUpstreamWhenPulledAgain() {
        UpstreamImages.Image app = serve("library/app", "v1", UpstreamImages.image(2000));
        UpstreamImages.Image byDigest = serve("library/app", null, UpstreamImages.image(2100));
        UpstreamImages.Image idle = serve("library/idle", "v1", UpstreamImages.image(2200));
        UpstreamImages.Image pushed = push(PUSHED, "v1", UpstreamImages.image(2300));
        pull(APP, "v1", app);
        pull(APP, byDigest.digest(), byDigest);
        pull(IDLE, "v1", idle);

        clock.advance(Duration.ofDays(20));
        pull(APP, "v1", app);
        pull(APP, byDigest.digest(), byDigest);
        clock.advance(Duration.ofDays(15)); // idle: last pulled 35 days ago; the others 15

        GcReport dry = collector(true).run();
        String rule = "evicted: not pulled for 30d";
        assertThat(dry.pruned()).containsExactlyInAnyOrder(
                new GcReport.Pruned(IDLE.value(), "v1", idle.digest(), rule),
                new GcReport.Pruned(IDLE.value(), null, idle.digest(), rule));
        assertThat(manifests.find(IDLE, Digest.parse(idle.digest()))).as("a dry run deletes nothing").isPresent();

        GcReport report = collector(false).run();
        assertThat(report.pruned()).isEqualTo(dry.pruned());
        assertThat(report.tagsDeleted()).isEqualTo(1);
        assertThat(report.manifestsDeleted()).isEqualTo(1);
        assertThat(report.deleted()).as("the idle image's manifest, config and layer").isEqualTo(3);
        assertThat(memory.list(StorePaths.tags(IDLE))).isEmpty();
        assertThat(manifests.find(IDLE, Digest.parse(idle.digest()))).isEmpty();
        for (byte[] blob : idle.blobs()) {
            assertThat(stored(Sha256.digest(blob))).as("collected in the same run").isFalse();
        }
        assertThat(memory.stat(StorePaths.proxyTagCheck(IDLE, "v1"))).as("its tag's check").isEmpty();
        assertThat(memory.stat(StorePaths.proxyPulled(IDLE, Digest.parse(idle.digest())))).isEmpty();
        for (UpstreamImages.Image kept : List.of(app, byDigest, pushed)) {
            assertThat(stored(kept.digest())).isTrue();
            for (byte[] blob : kept.blobs()) {
                assertThat(stored(Sha256.digest(blob))).isTrue();
            }
        }
        assertThat(memory.list(StorePaths.tags(APP))).containsExactly("v1");
        assertThat(manifests.find(APP, Digest.parse(byDigest.digest()))).as("pulled by digest").isPresent();
        assertThat(manifests.find(PUSHED, Digest.parse(pushed.digest()))).as("not a cache").isPresent();

        pull(IDLE, "v1", idle);
        assertThat(upstream.gets.get("/v2/library/idle/manifests/v1")).as("fetched again").hasValue(2);
        for (byte[] blob : idle.blobs()) {
            assertThat(upstream.gets.get("/v2/library/idle/blobs/" + Sha256.digest(blob))).hasValue(2);
            assertThat(stored(Sha256.digest(blob))).isTrue();
        }
        assertThat(collector(false).run().pruned()).as("just pulled").isEmpty();
    }

    @Test
    void theChildrenOfAPulledIndexStayThoughNeverPulledThemselves() {
        UpstreamImages.Image amd64 = serve("library/app", null, UpstreamImages.image(1000));
        UpstreamImages.Image arm64 = serve("library/app", null, UpstreamImages.image(1001));
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + descriptor(amd64) + "," + descriptor(arm64) + "]}").getBytes();
        String indexDigest = Sha256.digest(index);
        for (String reference : List.of("multi", indexDigest)) {
            upstream.answer("/v2/library/app/manifests/" + reference, FakeUpstream.Answer.of(index,
                    "Content-Type", "application/vnd.oci.image.index.v1+json", "Docker-Content-Digest", indexDigest));
        }
        manifestOf(APP, "multi");
        pull(APP, amd64.digest(), amd64);
        pull(APP, arm64.digest(), arm64);
        clock.advance(Duration.ofDays(20));
        manifestOf(APP, "multi");
        pull(APP, amd64.digest(), amd64); // arm64 is not pulled again
        clock.advance(Duration.ofDays(15));

        assertThat(collector(false).run().pruned()).as("arm64 is still a platform of the pulled index").isEmpty();

        clock.advance(Duration.ofDays(31));
        GcReport report = collector(false).run();
        assertThat(report.tagsDeleted()).isEqualTo(1);
        assertThat(report.manifestsDeleted()).isEqualTo(3);
        assertThat(memory.list(StorePaths.manifestRevisions(APP, "sha256"))).isEmpty();
    }

    @Test
    void pullsWriteTheStoreAtMostOnceAnHourPerManifest() {
        UpstreamImages.Image app = serve("library/app", "v1", UpstreamImages.image(1000));
        pull(APP, "v1", app);
        Digest digest = Digest.parse(app.digest());
        Instant firstRecorded = pulls.lastPulled(APP, digest).orElseThrow();

        writes.set(0);
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(20)); // within the tag's time to live: no check either
            manifestOf(APP, i % 2 == 0 ? "v1" : app.digest());
        }
        assertThat(writes).as("store writes of ten pulls within the hour").hasValue(0);

        PullThroughCache otherReplica = cacheReplica();
        otherReplica.manifest(rules.find(APP).orElseThrow(), app.digest(), List.of()).close();
        assertThat(writes).as("another replica reads the record and leaves it").hasValue(0);

        clock.advance(Duration.ofHours(1));
        manifestOf(APP, app.digest());
        manifestOf(APP, app.digest());
        assertThat(writes).as("an hour later: the record, once").hasValue(1);
        assertThat(pulls.lastPulled(APP, digest)).get().isEqualTo(clock.instant()).isNotEqualTo(firstRecorded);
    }

    /** A replica's cache: its own memory of the records, over the shared store. */
    private PullThroughCache cacheReplica() {
        return new PullThroughCache(rules, manifests, new TagService(store), documents, limits, checks,
                new PullRecords(store, rules, checks, Optional.of(clock)), Optional.empty(), Optional.of(clock));
    }

    private CachedBlobs cachedBlobs() {
        FetchProgress progress = new FetchProgress(store, JSON);
        return new CachedBlobs(blobs, new BlobFetcher(uploadServices.uploads(), progress, Optional.empty()),
                new FetchFollower(uploadServices.uploads(), blobs, progress,
                        new BufferPool(new MemoryBudget(4L << 20, Duration.ofSeconds(5)))),
                store, JSON, Optional.empty(), Optional.of(clock));
    }

    private GarbageCollector collector(boolean dryRun) {
        GcProperties properties = new GcProperties(false, Duration.ofHours(24), Duration.ofHours(1), Duration.ZERO,
                dryRun, Duration.ofMinutes(10), null, false, null);
        return new GarbageCollector(store, new RepositoryCatalog(store, new StoreReadsAhead()), documents, JSON,
                properties, Optional.empty(), Optional.of(clock), Optional.of(pulls));
    }

    /** Makes the fake upstream serve {@code image} in {@code repository}, by digest, and by {@code tag} unless null. */
    private UpstreamImages.Image serve(String repository, String tag, UpstreamImages.Image image) {
        FakeUpstream.Answer manifest = FakeUpstream.Answer.of(image.manifest(), "Content-Type", OCI_MANIFEST,
                "Docker-Content-Digest", image.digest());
        upstream.answer("/v2/" + repository + "/manifests/" + image.digest(), manifest);
        if (tag != null) {
            upstream.answer("/v2/" + repository + "/manifests/" + tag, manifest);
        }
        for (byte[] blob : image.blobs()) {
            upstream.answer("/v2/" + repository + "/blobs/" + Sha256.digest(blob), FakeUpstream.Answer.of(blob));
        }
        return image;
    }

    /** Pushes {@code image} to a repository no rule caches. */
    private UpstreamImages.Image push(RepositoryName repository, String tag, UpstreamImages.Image image) {
        for (byte[] blob : image.blobs()) {
            uploadServices.uploads().uploadWhole(repository, Digest.parse(Sha256.digest(blob)),
                    new ByteArrayInputStream(blob), blob.length);
        }
        manifests.put(repository, tag, OCI_MANIFEST, new ByteArrayInputStream(image.manifest()),
                image.manifest().length);
        return image;
    }

    /** Pulls as a client does: the manifest by {@code reference}, then each blob, checking what it gets. */
    private void pull(RepositoryName repository, String reference, UpstreamImages.Image image) {
        assertThat(manifestOf(repository, reference)).isEqualTo(image.digest());
        CachedRepository cached = rules.find(repository).orElseThrow();
        for (byte[] blob : image.blobs()) {
            Digest digest = Digest.parse(Sha256.digest(blob));
            try {
                if (cachedBlobs.find(cached, digest, false).local().isEmpty()) {
                    ByteArrayOutputStream received = new ByteArrayOutputStream();
                    cachedBlobs.fetch(cached, digest, size -> received);
                    assertThat(received.toByteArray()).isEqualTo(blob);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertThat(memory.readAll(StorePaths.blobData(digest))).isEqualTo(blob);
        }
    }

    private String manifestOf(RepositoryName repository, String reference) {
        try (StoredManifest manifest = cache.manifest(rules.find(repository).orElseThrow(), reference, List.of())) {
            return manifest.digest().toString();
        }
    }

    private boolean stored(String digest) {
        return memory.stat(StorePaths.blobData(Digest.parse(digest))).isPresent();
    }

    private static String descriptor(UpstreamImages.Image image) {
        return "{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"" + image.digest() + "\",\"size\":"
                + image.manifest().length + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}";
    }

    /** The store, counting the calls that change it. */
    private static StorageDriver counting(StorageDriver store, AtomicInteger writes) {
        return (StorageDriver) Proxy.newProxyInstance(StorageDriver.class.getClassLoader(),
                new Class<?>[] {StorageDriver.class}, (proxy, method, args) -> {
                    if (WRITES.contains(method.getName())) {
                        writes.incrementAndGet();
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
