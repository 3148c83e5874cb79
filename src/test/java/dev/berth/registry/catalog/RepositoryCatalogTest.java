package dev.berth.registry.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.Page;
import dev.berth.registry.StoreReadsAhead;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemStorageDriver;
import dev.berth.support.InMemoryStorageDriver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalog's pages: in name order from any {@code last}, across nested repositories whose names are the
 * start of their siblings' ("app", "app-api", "app/web"), and at a cost that does not grow with the catalog.
 */
class RepositoryCatalogTest {

    static final List<String> REPOSITORIES = List.of("a", "a-b", "a.c", "a/b", "a/b/c", "a0", "app", "app-api",
            "app-api/x", "app.io", "app/web", "team-b/x", "team/app", "team/app-2", "team/app/sub", "z");

    @TempDir
    static Path folder;

    static Stream<StorageDriver> stores() {
        return Stream.of(new InMemoryStorageDriver(), new FilesystemStorageDriver(folder.resolve("fs")));
    }

    private static void create(StorageDriver store, String repository) {
        store.writeBytes("docker/registry/v2/repositories/" + repository + "/_manifests/tags/t/current/link",
                "sha256:0".getBytes());
    }

    private static List<String> sorted() {
        List<String> sorted = new ArrayList<>(REPOSITORIES);
        sorted.sort(String::compareTo);
        return sorted;
    }

    @ParameterizedTest
    @MethodSource("stores")
    void pagesFollowNameOrderFromAnyLast(StorageDriver store) {
        REPOSITORIES.forEach(repository -> create(store, repository));
        // Folders that are no repository, and a repository's data folders, are never listed.
        store.writeBytes("docker/registry/v2/repositories/org/only/_uploads/x/startedat", new byte[1]);
        store.writeBytes("docker/registry/v2/repositories/a/_layers/sha256/ab/link", new byte[1]);
        RepositoryCatalog catalog = new RepositoryCatalog(store, new StoreReadsAhead());
        List<String> sorted = sorted();

        assertThat(catalog.names()).containsExactlyElementsOf(sorted);
        List<String> lasts = new ArrayList<>(sorted);
        lasts.addAll(List.of("", "0", "a-", "a/", "a/b/", "app-", "app/", "org", "org/only", "team", "team/",
                "team/app-", "zz", "Upper/Case", "x".repeat(400)));
        for (String last : lasts) {
            List<String> after = sorted.stream().filter(name -> last.isEmpty() || name.compareTo(last) > 0).toList();
            for (int n : new int[] {1, 2, 3, 50}) {
                Page page = catalog.page(last.isEmpty() ? null : last, n);
                assertThat(page.items()).as("page of %d after '%s'", n, last)
                        .containsExactlyElementsOf(after.subList(0, Math.min(n, after.size())));
                assertThat(page.more()).as("more after page of %d after '%s'", n, last).isEqualTo(after.size() > n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void followingEveryPageVisitsEachRepositoryOnce(StorageDriver store) {
        REPOSITORIES.forEach(repository -> create(store, repository));
        RepositoryCatalog catalog = new RepositoryCatalog(store, new StoreReadsAhead());
        for (int n = 1; n <= 4; n++) {
            List<String> seen = new ArrayList<>();
            String last = null;
            Page page;
            do {
                page = catalog.page(last, n);
                seen.addAll(page.items());
                last = page.lastItem();
            } while (page.more());
            assertThat(seen).as("pages of %d", n).containsExactlyElementsOf(sorted());
        }
    }

    @Test
    void aPageCostsAboutOneListingPerRepositoryWhateverTheCatalogSize() {
        InMemoryStorageDriver store = new InMemoryStorageDriver();
        for (int i = 0; i < 3000; i++) {
            create(store, String.format("team/app-%05d", i));
        }
        RepositoryCatalog catalog = new RepositoryCatalog(store, new StoreReadsAhead());

        long before = store.calls();
        Page page = catalog.page("team/app-01500", 10);
        long calls = store.calls() - before;

        assertThat(page.items()).containsExactly("team/app-01501", "team/app-01502", "team/app-01503",
                "team/app-01504", "team/app-01505", "team/app-01506", "team/app-01507", "team/app-01508",
                "team/app-01509", "team/app-01510");
        assertThat(calls).as("store calls for a page of 10 among 3000 repositories").isLessThanOrEqualTo(30);
    }

    @Test
    void readsAheadOnASlowStoreAFewListingsAtATime() throws Exception {
        InMemoryStorageDriver memory = new InMemoryStorageDriver();
        for (int i = 0; i < 40; i++) {
            create(memory, String.format("team/app-%02d", i));
        }
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        // Every listing takes an object store's round trip.
        StorageDriver slow = (StorageDriver) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {StorageDriver.class}, (proxy, method, args) -> {
                    boolean listing = method.getName().equals("list");
                    if (listing) {
                        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        Thread.sleep(20);
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (listing) {
                            inFlight.decrementAndGet();
                        }
                    }
                });
        try (StoreReadsAhead ahead = new StoreReadsAhead()) {
            Page page = new RepositoryCatalog(slow, ahead).page("team/app-09", 20);

            assertThat(page.items()).containsExactlyElementsOf(IntStream.range(10, 30)
                    .mapToObj(i -> String.format("team/app-%02d", i)).toList());
            assertThat(page.more()).isTrue();
            assertThat(mostInFlight.get()).as("listings in flight at once").isBetween(4, StoreReadsAhead.WINDOW + 1);
        }
    }
}
