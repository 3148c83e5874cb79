package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise of the UI's pages: what one costs in store calls follows its page size, never how many
 * repositories or tags the store holds. Each page is counted on a store, which then grows threefold.
 */
class UiStoreCallsTest {

    private static final int PAGE = 5;

    @TempDir
    static Path store;

    static BerthServer berth;
    static UiImages images;
    static String digest;

    @BeforeAll
    static void start() {
        berth = BerthServer.startOnFilesystem(store);
        images = new UiImages(berth, null);
        digest = images.image("tagged/app", "v000", "amd64", 1).digest();
        grow(0, 15);
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    /** Repositories {@code fleet/repo-NNN} and tags {@code vNNN} of tagged/app, from {@code from} to {@code to}. */
    private static void grow(int from, int to) {
        String manifest = Http.getText(berth.uri("/v2/tagged/app/manifests/v000")).body();
        for (int i = from; i < to; i++) {
            images.blob(String.format("fleet/repo-%03d", i), new byte[] {(byte) i});
            images.manifest("tagged/app", String.format("v%03d", i + 1), UiImages.OCI_MANIFEST, manifest);
        }
    }

    private static Map<String, Long> pages() {
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String path : new String[] {"/ui/?n=" + PAGE, "/ui/?n=" + PAGE + "&last=fleet/repo-008",
                "/ui/repository?name=tagged/app&n=" + PAGE, "/ui/repository?name=tagged/app&n=" + PAGE + "&last=v008",
                "/ui/image?name=tagged/app&digest=" + digest}) {
            calls.put(path, storeCalls(path));
        }
        return calls;
    }

    /** The store calls of one GET: the fewest of three, as background work may call the store meanwhile. */
    private static long storeCalls(String path) {
        MeterRegistry meters = berth.context().getBean(MeterRegistry.class);
        long fewest = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long before = count(meters);
            HttpResponse<String> page = Http.getText(berth.uri(path));
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            fewest = Math.min(fewest, count(meters) - before);
        }
        return fewest;
    }

    private static long count(MeterRegistry meters) {
        return meters.find("berth.storage.operations").timers().stream().mapToLong(Timer::count).sum();
    }

    @Test
    void aPageCostsStoreCallsByItsSizeNotByTheStoresSize() {
        Map<String, Long> small = pages();
        // A repository row: one listing to find it, one to count its tags; a tag row: its link, manifest, config.
        assertThat(small.get("/ui/?n=" + PAGE)).isLessThanOrEqualTo(4 + 2L * PAGE);
        assertThat(small.get("/ui/repository?name=tagged/app&n=" + PAGE)).isLessThanOrEqualTo(2 + 6L * PAGE);

        grow(15, 45);

        assertThat(pages()).as("store calls per page, with 3 times as many repositories and tags")
                .isEqualTo(small);
    }
}
