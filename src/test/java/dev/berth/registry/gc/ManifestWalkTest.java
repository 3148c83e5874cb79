package dev.berth.registry.gc;

import static dev.berth.registry.gc.GcServices.imageManifest;
import static dev.berth.registry.gc.GcServices.index;
import static dev.berth.registry.gc.GcServices.referrer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.memory.MemoryBudget;
import dev.berth.registry.Documents;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.StoreReadsAhead;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.gc.GcServices.Blob;
import dev.berth.storage.StorageDriver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The mark's figures on a small store whose every size is known: the store's live bytes, each repository's
 * bytes (each blob once per repository, whichever of its manifests reference it), and each manifest read
 * once over all repositories.
 */
class ManifestWalkTest {

    static final RepositoryName APP = new RepositoryName("walk/app");
    static final RepositoryName OTHER = new RepositoryName("walk/other");
    static final RepositoryName EMPTY = new RepositoryName("walk/empty");

    final GcServices services = new GcServices();
    final Map<String, Integer> reads = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        services.close();
    }

    @Test
    void sizesTheStoreAndEachRepositoryCountingEachBlobOncePerRepositoryAndReadingEachManifestOnce() {
        Blob config = Blob.random(200);
        Blob layer = Blob.random(3000);
        Blob v1 = services.pushImage(APP, "v1", config, layer);
        Blob config2 = Blob.random(100);
        Blob layer2 = Blob.random(700);
        Blob v2 = services.pushImage(APP, "v2", config2, layer, layer2); // shares the 3000-byte layer
        Blob signatureConfig = services.push(APP, Blob.random(30));
        Blob signatureLayer = services.push(APP, Blob.random(40));
        Blob signature = referrer(v1, signatureConfig, signatureLayer);
        services.putManifest(APP, signature.digest().toString(), signature);

        // OTHER holds v1 too (read once for both), and an index of v1 and an image of its own.
        services.blobs.mount(OTHER, APP, config.digest());
        services.blobs.mount(OTHER, APP, layer.digest());
        services.putManifest(OTHER, "v1", v1);
        Blob config3 = services.push(OTHER, Blob.random(50));
        Blob v3 = imageManifest(config3, layer);
        services.putManifest(OTHER, v3.digest().toString(), v3);
        Blob multi = index(v1, v3);
        services.putManifest(OTHER, "multi", multi);
        // Neither a deleted image nor a blob no manifest references counts.
        Blob goneLayer = Blob.random(9000);
        Blob gone = services.pushImage(OTHER, "gone", Blob.random(60), goneLayer);
        services.manifests.delete(OTHER, gone.digest().toString());
        Blob orphan = services.push(EMPTY, Blob.random(500));

        LiveSet mark = walk().mark();

        long app = size(v1) + size(v2) + size(signature) + 200 + 3000 + 100 + 700 + 30 + 40;
        long other = size(v1) + size(v3) + size(multi) + 200 + 3000 + 50;
        assertThat(mark.usage()).containsExactly(new GcReport.RepositoryUsage(APP.value(), app),
                new GcReport.RepositoryUsage(OTHER.value(), other), new GcReport.RepositoryUsage(EMPTY.value(), 0));
        assertThat(mark.storeBytes()).isEqualTo(size(v1) + size(v2) + size(signature) + size(v3) + size(multi)
                + 200 + 3000 + 100 + 700 + 30 + 40 + 50);
        assertThat(mark.manifests()).isEqualTo(6);
        assertThat(mark.blobsMarked()).isEqualTo(12);
        for (Blob manifest : List.of(v1, v2, signature, v3, multi)) {
            assertThat(reads.get(StorePaths.blobData(manifest.digest()))).as("reads of %s", manifest.digest())
                    .isEqualTo(1);
        }
        for (Blob dead : List.of(gone, goneLayer, orphan)) {
            assertThat(mark.isLive(dead.digest())).isFalse();
        }
        assertThat(mark.linking(goneLayer.digest())).containsExactly(OTHER);
        assertThat(mark.linking(orphan.digest())).containsExactly(EMPTY);
        assertThat(mark.linking(layer.digest())).as("a live blob's links are not kept").isEmpty();
    }

    @Test
    void aRepositoryBeyondTheListedOnesIsLeftOutSmallestFirst() {
        for (int i = 0; i <= GcReport.LISTED; i++) {
            // A repository with only a link (as a push leaves before its manifest) weighs 0.
            services.store.writeBytes(StorePaths.layerLink(new RepositoryName("many/r" + i),
                    Blob.random(1).digest()), new byte[0]);
        }
        services.pushImage(new RepositoryName("many/big"), "v1", Blob.random(10), Blob.random(20));

        List<GcReport.RepositoryUsage> usage = walk().mark().usage();

        assertThat(usage).hasSize(GcReport.LISTED);
        assertThat(usage.get(0).repository()).isEqualTo("many/big");
    }

    private ManifestWalk walk() {
        StorageDriver counting = (StorageDriver) Proxy.newProxyInstance(StorageDriver.class.getClassLoader(),
                new Class<?>[] {StorageDriver.class}, (proxy, method, args) -> {
                    if (method.getName().equals("read")) {
                        reads.merge((String) args[0], 1, Integer::sum);
                    }
                    try {
                        return method.invoke(services.store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Documents documents = new Documents(counting, new MemoryBudget(64L << 20, Duration.ofSeconds(5)));
        return new ManifestWalk(counting, new RepositoryCatalog(counting, new StoreReadsAhead()), documents, GcServices.JSON);
    }

    private static long size(Blob blob) {
        return blob.content().length;
    }
}
