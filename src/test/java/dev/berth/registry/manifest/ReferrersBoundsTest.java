package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cluster.BerthProcess;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A referrers list never holds more than a bounded page, and building one never reads the referrers' own
 * manifests: twelve referrers of nearly 4 MB each, listed by eight clients at once, on a replica with a heap
 * of 96 MB, are all answered, page by page.
 */
@Timeout(240)
class ReferrersBoundsTest {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path work;

    static BerthProcess berth;

    @BeforeAll
    static void start() {
        berth = BerthProcess.start("referrers", List.of("-Xmx96m"), null, "--berth.storage.backend=filesystem",
                "--berth.storage.filesystem.root=" + work.resolve("store"), "--berth.listings.max-page-size=5");
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void largeReferrersAreListedPageByPageInBoundedMemory() throws Exception {
        String repository = "bounds/app";
        String config = pushBlob(repository, "{}".getBytes(StandardCharsets.UTF_8));
        String configDescriptor = "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                + "\",\"size\":2}";
        String subject = put(repository, "v1", "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                + "\",\"config\":" + configDescriptor + ",\"layers\":[]}");
        List<String> referrers = new ArrayList<>();
        String padding = "x".repeat(3_900_000);
        for (int i = 0; i < 12; i++) {
            referrers.add(put(repository, null, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                    + "\",\"artifactType\":\"application/vnd.example.sbom." + (i % 2) + "\",\"config\":"
                    + configDescriptor + ",\"layers\":[],\"subject\":{\"mediaType\":\"" + OCI_MANIFEST
                    + "\",\"digest\":\"" + subject + "\",\"size\":1},\"annotations\":{\"n\":\"" + i
                    + "\",\"padding\":\"" + padding + "\"}}"));
        }

        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> listings = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                listings.add(clients.submit(() -> listAll("/v2/" + repository + "/referrers/" + subject)));
            }
            for (Future<List<String>> listing : listings) {
                assertThat(listing.get()).containsExactlyInAnyOrderElementsOf(referrers);
            }
        } finally {
            clients.shutdownNow();
        }
        List<String> sboms = listAll("/v2/" + repository + "/referrers/" + subject
                + "?artifactType=application/vnd.example.sbom.1");
        assertThat(sboms).hasSize(6);
        assertThat(berth.isAlive()).isTrue();
    }

    /** Every digest of a referrers list, following its pages; each page holds at most 5 entries. */
    private static List<String> listAll(String path) throws IOException, InterruptedException {
        List<String> digests = new ArrayList<>();
        String next = path;
        int pages = 0;
        while (next != null) {
            HttpResponse<byte[]> page = Http.send("GET", berth.uri(next), null);
            assertThat(page.statusCode()).as(new String(page.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            JsonNode manifests = JSON.readTree(page.body()).path("manifests");
            assertThat(manifests.size()).isLessThanOrEqualTo(5);
            manifests.forEach(entry -> digests.add(entry.path("digest").asString()));
            next = page.headers().firstValue("Link").map(link -> {
                Matcher m = NEXT.matcher(link);
                return m.find() ? m.group(1) : null;
            }).orElse(null);
            assertThat(++pages).as("pages").isLessThan(100);
        }
        return digests;
    }

    private static String pushBlob(String repository, byte[] content) throws Exception {
        String digest = Sha256.digest(content);
        HttpResponse<String> response = Http.sendText("POST",
                berth.uri("/v2/" + repository + "/blobs/uploads/?digest=" + digest), content);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return digest;
    }

    private static String put(String repository, String tag, String manifest) throws Exception {
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        String digest = Sha256.digest(bytes);
        URI uri = berth.uri("/v2/" + repository + "/manifests/" + (tag == null ? digest : tag));
        HttpResponse<String> response = Http.sendText("PUT", uri, bytes, "Content-Type", OCI_MANIFEST);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return digest;
    }
}
