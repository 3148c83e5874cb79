package dev.berth.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.berth.support.Azurite;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Pages of a virtual folder started part-way, counted in requests to a real Azurite: a small folder is read
 * by one request, a large one is sought by prefixes, and both give the names in order. (The driver contract
 * checks the order from every start; this checks what it costs.)
 */
@Tag("azurite")
class HierarchyListingTest {

    private static final AtomicInteger REQUESTS = new AtomicInteger();
    private static BlobContainerClient container;
    /** Children of "small/" and "large/": blobs and sub-folders, with names where '-' and '/' sort apart. */
    private static final List<String> CHILDREN = IntStream.range(0, 60)
            .mapToObj(i -> String.format(i % 7 == 0 ? "app-%03d" : "app%03d", i)).sorted().toList();

    @BeforeAll
    static void writeFolders() {
        container = new BlobServiceClientBuilder().connectionString(Azurite.get().getConnectionString())
                .addPolicy(new Counting()).buildClient().getBlobContainerClient("hierarchy-listing");
        container.createIfNotExists();
        for (String folder : List.of("small/", "large/")) {
            for (int i = 0; i < CHILDREN.size(); i++) {
                String name = CHILDREN.get(i);
                // Every third child is a sub-folder, so the service lists it as "name/".
                container.getBlobClient(folder + name + (i % 3 == 0 ? "/inner" : ""))
                        .upload(BinaryData.fromString(name), true);
            }
        }
    }

    @Test
    void aPageInASmallFolderCostsOneRequest() {
        HierarchyListing listing = new HierarchyListing(container, 100);
        for (int start : List.of(0, 30, 55, 59)) {
            REQUESTS.set(0);
            List<String> page = listing.page("small/", CHILDREN.get(start), 20);
            assertThat(page).containsExactlyElementsOf(expected(start, 20));
            assertThat(REQUESTS.get()).as("requests for a page after %s", CHILDREN.get(start)).isEqualTo(1);
        }
    }

    @Test
    void aPageInALargeFolderIsSoughtByPrefixes() {
        HierarchyListing listing = new HierarchyListing(container, 10);
        for (int start : List.of(0, 30, 55, 59)) {
            assertThat(listing.page("large/", CHILDREN.get(start), 20)).containsExactlyElementsOf(expected(start, 20));
        }
        assertThat(listing.page("large/", "zzz", 20)).isEmpty();
        assertThat(listing.page("absent/", "a", 20)).isEmpty();
    }

    private static List<String> expected(int after, int limit) {
        List<String> names = new ArrayList<>(CHILDREN.subList(after + 1, CHILDREN.size()));
        return names.subList(0, Math.min(limit, names.size()));
    }

    /** Counts the requests the client sends. */
    private static final class Counting implements HttpPipelinePolicy {
        @Override
        public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
            REQUESTS.incrementAndGet();
            return next.process();
        }
    }
}
