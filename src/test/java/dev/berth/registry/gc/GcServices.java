package dev.berth.registry.gc;

import dev.berth.memory.MemoryBudget;
import dev.berth.registry.Digest;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.StoreReadsAhead;
import dev.berth.registry.blob.BlobService;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.manifest.ManifestProperties;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.tag.TagService;
import dev.berth.registry.upload.UploadService;
import dev.berth.registry.upload.UploadServices;
import dev.berth.storage.StorageDriver;
import dev.berth.support.InMemoryStorageDriver;
import dev.berth.support.MovableClock;
import dev.berth.support.RandomBytes;
import dev.berth.support.Sha256;
import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * The registry's services wired as Berth wires them (uploads, blobs, manifests, the collector), over one store
 * in memory and one clock the test moves, for service-level tests of garbage collection and the pushes that
 * race it. The collector's settle time passes by moving the clock, not by sleeping. Close it to stop the
 * upload writer threads.
 */
final class GcServices implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration GRACE = Duration.ofHours(1);
    static final Duration SETTLE = Duration.ofMinutes(2);
    static final Duration UNTAGGED_AGE = Duration.ofDays(7);
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";

    /** A blob's bytes with their digest. */
    record Blob(Digest digest, byte[] content) {

        static Blob random(int size) {
            return of(RandomBytes.randomBytes(size));
        }

        static Blob of(byte[] content) {
            return new Blob(Digest.parse(Sha256.digest(content)), content);
        }
    }

    final MovableClock clock = new MovableClock();
    final InMemoryStorageDriver store = new InMemoryStorageDriver(clock);
    private final UploadServices uploadServices = UploadServices.on(clock, store);
    final UploadService uploads = uploadServices.uploads();
    final BlobService blobs = uploadServices.blobs();
    final BlobRescue rescue = uploadServices.rescue();
    final Documents documents = new Documents(store, new MemoryBudget(64L << 20, Duration.ofSeconds(5)));
    final ManifestService manifests = new ManifestService(store, blobs, new TagService(store), JSON,
            manifestProperties(), documents, rescue);
    final RepositoryCatalog catalog = new RepositoryCatalog(store, new StoreReadsAhead());
    final List<GcReport> reports = new CopyOnWriteArrayList<>();
    final AtomicInteger failures = new AtomicInteger();

    private final GcEvents events = new GcEvents() {
        @Override
        public void finished(GcReport report) {
            reports.add(report);
        }

        @Override
        public void failed() {
            failures.incrementAndGet();
        }
    };

    /** A collector of its own (as each replica has one) with the default grace and settle times. */
    GarbageCollector collector(GcSteps steps) {
        return collector(steps, GRACE, SETTLE, false);
    }

    GarbageCollector collector() {
        return collector(GcSteps.NONE);
    }

    GarbageCollector dryRun() {
        return collector(GcSteps.NONE, GRACE, SETTLE, true);
    }

    /** A collector whose settle time passes by moving the test's clock. */
    GarbageCollector collector(GcSteps steps, Duration grace, Duration settle, boolean dryRun) {
        return collector(steps, grace, settle, dryRun, clock::advance);
    }

    /**
     * A collector whose settle time really passes (and moves the test's clock as much), for runs racing
     * pushes on other threads: the protocol counts on a push finishing within the settle time.
     */
    GarbageCollector sleepingCollector(Duration grace, Duration settle) {
        return collector(GcSteps.NONE, grace, settle, false, duration -> {
            Thread.sleep(duration.toMillis());
            clock.advance(duration);
        });
    }

    private GarbageCollector collector(GcSteps steps, Duration grace, Duration settle, boolean dryRun,
            GarbageCollector.Pause pause) {
        GcProperties properties = new GcProperties(false, Duration.ofHours(24), grace, settle, dryRun,
                Duration.ofMinutes(10), null, false, null);
        return new GarbageCollector(store, catalog, documents, JSON, properties, events, clock, steps, pause);
    }

    /**
     * A collector that prunes before it collects: {@code untagged} deletes untagged manifests older than
     * {@link #UNTAGGED_AGE}, {@code orphans} orphaned referrers, and the policies govern tags.
     */
    GarbageCollector pruning(boolean dryRun, boolean untagged, boolean orphans, GcSteps steps,
            RetentionPolicy... policies) {
        GcProperties properties = new GcProperties(false, Duration.ofHours(24), GRACE, SETTLE, dryRun,
                Duration.ofMinutes(10), new GcProperties.DeleteUntagged(untagged, UNTAGGED_AGE), orphans,
                List.of(policies));
        return new GarbageCollector(store, catalog, documents, JSON, properties, events, clock, steps,
                clock::advance);
    }

    /** A collector that evicts, before it collects, what {@code eviction} says nobody pulled for long enough. */
    GarbageCollector evicting(CacheEviction eviction, GcSteps steps) {
        GcProperties properties = new GcProperties(false, Duration.ofHours(24), GRACE, SETTLE, false,
                Duration.ofMinutes(10), null, false, null);
        return new GarbageCollector(store, catalog, documents, JSON, properties, events, clock, steps,
                clock::advance, eviction);
    }

    /** Lets the grace time pass, so everything stored so far is old enough to collect. */
    void ageEverything() {
        clock.advance(GRACE.plusMinutes(1));
    }

    Blob push(RepositoryName repository, Blob blob) {
        uploads.uploadWhole(repository, blob.digest(), new ByteArrayInputStream(blob.content()),
                blob.content().length);
        return blob;
    }

    /** An image manifest with {@code config} and {@code layers} (whose blobs need not be pushed). */
    static Blob imageManifest(Blob config, Blob... layers) {
        return manifest(config, null, layers);
    }

    /** As {@link #imageManifest(Blob, Blob...)}, with {@code subject}: an artifact referring to it. */
    static Blob referrer(Blob subject, Blob config, Blob... layers) {
        return manifest(config, subject, layers);
    }

    private static Blob manifest(Blob config, Blob subject, Blob... layers) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",")
                .append("\"config\":").append(descriptor("application/vnd.oci.image.config.v1+json", config))
                .append(",\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            json.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar", layers[i]));
        }
        json.append("]");
        if (subject != null) {
            json.append(",\"subject\":").append(descriptor(OCI_MANIFEST, subject));
        }
        return Blob.of(json.append("}").toString().getBytes(StandardCharsets.UTF_8));
    }

    static Blob index(Blob... children) {
        List<String> descriptors = new ArrayList<>();
        Arrays.stream(children).forEach(child -> descriptors.add(descriptor(OCI_MANIFEST, child)));
        return Blob.of(("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":["
                + String.join(",", descriptors) + "]}").getBytes(StandardCharsets.UTF_8));
    }

    private static String descriptor(String mediaType, Blob blob) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + blob.digest() + "\",\"size\":"
                + blob.content().length + "}";
    }

    /** Pushes a manifest made by {@link #imageManifest} or {@link #index} under {@code reference}. */
    Digest putManifest(RepositoryName repository, String reference, Blob manifest) {
        return putManifest(manifests, repository, reference, manifest);
    }

    static Digest putManifest(ManifestService manifests, RepositoryName repository, String reference, Blob manifest) {
        String type = new String(manifest.content(), StandardCharsets.UTF_8).contains("\"manifests\"") ? OCI_INDEX
                : OCI_MANIFEST;
        return manifests.put(repository, reference, type, new ByteArrayInputStream(manifest.content()),
                manifest.content().length).digest();
    }

    /** Pushes config and layers, then the manifest naming them, tagged {@code tag}. */
    Blob pushImage(RepositoryName repository, String tag, Blob config, Blob... layers) {
        push(repository, config);
        Arrays.stream(layers).forEach(layer -> push(repository, layer));
        Blob manifest = imageManifest(config, layers);
        putManifest(repository, tag, manifest);
        return manifest;
    }

    /**
     * A manifest service as a replica has it, whose pushes pause right before they write the manifest's
     * revision (after every check): they count {@code arrived} down and wait for {@code proceed}. Lets a test
     * hold a push between its checks and its write while the collector goes on.
     */
    ManifestService manifestsPausingBeforeTheirWrite(CountDownLatch arrived, CountDownLatch proceed) {
        StorageDriver pausing = (StorageDriver) Proxy.newProxyInstance(StorageDriver.class.getClassLoader(),
                new Class<?>[] {StorageDriver.class}, (proxy, method, args) -> {
                    if (method.getName().equals("writeBytes") && ((String) args[0]).contains("/_manifests/revisions/")) {
                        arrived.countDown();
                        proceed.await();
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return new ManifestService(pausing, blobs, new TagService(store), JSON, manifestProperties(), documents,
                rescue);
    }

    private static ManifestProperties manifestProperties() {
        return new ManifestProperties(DataSize.ofMegabytes(4), 1000, new ManifestProperties.Urls(List.of(), List.of()));
    }

    /** Whether {@code repository} serves the blob with exactly its bytes (as a pull would read it). */
    boolean readable(RepositoryName repository, Blob blob) {
        return blobs.find(repository, blob.digest()).isPresent()
                && Arrays.equals(store.readAll(StorePaths.blobData(blob.digest())), blob.content());
    }

    /** Whether the blob's data is anywhere in the store. */
    boolean stored(Blob blob) {
        return store.stat(StorePaths.blobData(blob.digest())).isPresent();
    }

    /** The tags of {@code repository} whose folder is in the store. */
    List<String> tags(RepositoryName repository) {
        return store.list(StorePaths.tags(repository));
    }

    /** Whether {@code repository} has the manifest revision. */
    boolean hasRevision(RepositoryName repository, Blob manifest) {
        return manifests.find(repository, manifest.digest()).isPresent();
    }

    /** Every object under {@code folder}, with its modification time: what a run changed shows as a difference. */
    Map<String, Instant> objects(String folder) {
        Map<String, Instant> found = new TreeMap<>();
        store.stat(folder).ifPresent(info -> found.put(folder, info.modifiedAt()));
        for (String child : store.list(folder)) {
            found.putAll(objects(folder + "/" + child));
        }
        return found;
    }

    Optional<BlobMarkers.Found> marker(Blob blob) {
        return new BlobMarkers(store, JSON).read(blob.digest());
    }

    List<String> markers() {
        return store.list(StorePaths.CONDEMNED + "/sha256");
    }

    @Override
    public void close() {
        uploadServices.close();
    }
}
