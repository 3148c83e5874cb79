package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.MovableClock;
import dev.berth.support.Sha256;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Berth caching another Berth (a real upstream on loopback): what the first pull fetches is stored as a
 * regular image of the cached repository, served from the store afterwards, re-checked after the tag's time
 * to live, served stale while the upstream is down, and never pushed to.
 */
@Timeout(120)
class PullThroughCacheTest {

    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    /** One upstream and one cache of it for the tests that leave the upstream running; each uses its own names. */
    @TempDir
    static Path work;
    static BerthServer upstream;
    static BerthServer cache;
    static final MovableClock clock = new MovableClock();

    /** Servers of one test only. */
    @TempDir
    Path own;
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void startShared() {
        upstream = BerthServer.startOnFilesystem(work.resolve("upstream"));
        cache = cacheOf(upstream, work.resolve("cache"), clock);
    }

    @AfterAll
    static void stopShared() {
        if (cache != null) {
            cache.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private static BerthServer cacheOf(BerthServer upstream, Path root, MovableClock clock) {
        return BerthServer.startOnFilesystem(root, clock, "--berth.proxy.rules[0].prefix=hub",
                "--berth.proxy.rules[0].upstream=http://" + upstream.hostAndPort(),
                "--berth.proxy.rules[0].tag-ttl=1m");
    }

    @Test
    void firstPullFetchesAndStoresARegularImageLaterPullsComeFromTheStore() {
        double blobMisses = metric(cache, "berth_proxy_misses_total{kind=\"blob\"}");
        double blobHits = metric(cache, "berth_proxy_hits_total{kind=\"blob\"}");
        double manifestMisses = metric(cache, "berth_proxy_misses_total{kind=\"manifest\"}");
        double received = metric(cache, "berth_proxy_upstream_received_bytes_total");
        UpstreamImages.Image image = UpstreamImages.push(upstream, "library/first", "v1", UpstreamImages.image(300_000));

        HttpResponse<byte[]> manifest = Http.send("GET", cache.uri("/v2/hub/library/first/manifests/v1"), null,
                "Accept", OCI_MANIFEST);
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.body()).isEqualTo(image.manifest());
        assertThat(manifest.headers().firstValue("Docker-Content-Digest")).contains(image.digest());

        byte[] layer = image.layers().get(0);
        HttpResponse<byte[]> head = Http.send("HEAD", cache.uri("/v2/hub/library/first/blobs/" + Sha256.digest(layer)),
                null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(layer.length);
        assertThat(blobData(Sha256.digest(layer))).as("a HEAD fetches nothing").doesNotExist();

        for (byte[] blob : image.blobs()) {
            HttpResponse<byte[]> pulled = Http.send("GET", cache.uri("/v2/hub/library/first/blobs/"
                    + Sha256.digest(blob)), null);
            assertThat(pulled.statusCode()).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(blob);
            assertThat(blobData(Sha256.digest(blob))).as("stored in the cache").exists();
            assertThat(work.resolve("cache/docker/registry/v2/repositories/hub/library/first/_layers/sha256/"
                    + Sha256.hex(blob) + "/link")).as("linked into the cached repository").exists();
        }
        assertThat(blobData(image.digest())).exists();
        assertThat(work.resolve("cache/docker/registry/v2/repositories/hub/library/first/_manifests/tags/v1/current/link"))
                .hasContent(image.digest());

        // Served from the store now: the upstream's own repository may even be gone.
        for (byte[] blob : image.blobs()) {
            assertThat(Http.send("DELETE", upstream.uri("/v2/library/first/blobs/" + Sha256.digest(blob)), null)
                    .statusCode()).isEqualTo(202);
            assertThat(Http.send("GET", cache.uri("/v2/hub/library/first/blobs/" + Sha256.digest(blob)), null).body())
                    .isEqualTo(blob);
        }
        assertThat(Http.getText(cache.uri("/v2/_catalog")).body()).contains("hub/library/first");
        assertThat(metric(cache, "berth_proxy_misses_total{kind=\"blob\"}") - blobMisses).isEqualTo(2);
        assertThat(metric(cache, "berth_proxy_hits_total{kind=\"blob\"}") - blobHits).isEqualTo(2);
        assertThat(metric(cache, "berth_proxy_misses_total{kind=\"manifest\"}") - manifestMisses).isEqualTo(1);
        assertThat(metric(cache, "berth_proxy_upstream_received_bytes_total") - received)
                .isEqualTo(image.manifest().length + image.config().length + layer.length);
        assertThat(metric(cache, "berth_proxy_upstream_requests_seconds_count{status=\"2xx\"}")).isPositive();
    }

    @Test
    void byDigestAndUnknownReferencesAreAnsweredAsTheUpstreamDoes() {
        UpstreamImages.Image image = UpstreamImages.push(upstream, "library/bydigest", "v1", UpstreamImages.image(1000));

        HttpResponse<byte[]> byDigest = Http.send("GET", cache.uri("/v2/hub/library/bydigest/manifests/" + image.digest()),
                null);
        assertThat(byDigest.statusCode()).isEqualTo(200);
        assertThat(byDigest.body()).isEqualTo(image.manifest());
        assertThat(work.resolve("cache/docker/registry/v2/repositories/hub/library/bydigest/_manifests/tags"))
                .as("a pull by digest tags nothing").doesNotExist();

        HttpResponse<String> unknownTag = Http.sendText("GET", cache.uri("/v2/hub/library/bydigest/manifests/v9"), null);
        assertThat(unknownTag.statusCode()).isEqualTo(404);
        assertThat(unknownTag.body()).contains("MANIFEST_UNKNOWN");
        HttpResponse<String> unknownBlob = Http.sendText("GET", cache.uri("/v2/hub/library/bydigest/blobs/"
                + Sha256.digest("nothing")), null);
        assertThat(unknownBlob.statusCode()).isEqualTo(404);
        assertThat(unknownBlob.body()).contains("BLOB_UNKNOWN");
        // Outside the prefix nothing is fetched.
        assertThat(Http.sendText("GET", cache.uri("/v2/library/bydigest/manifests/v1"), null).statusCode()).isEqualTo(404);
    }

    @Test
    void aTagMovedUpstreamIsSeenAfterItsTimeToLive() {
        UpstreamImages.Image first = UpstreamImages.push(upstream, "library/moving", "v1", UpstreamImages.image(1000));
        assertThat(digestOf(cache, "hub/library/moving", "v1")).isEqualTo(first.digest());

        UpstreamImages.Image second = UpstreamImages.push(upstream, "library/moving", "v1", UpstreamImages.image(1000));
        assertThat(digestOf(cache, "hub/library/moving", "v1")).as("within the time to live").isEqualTo(first.digest());
        clock.advance(Duration.ofSeconds(61));
        assertThat(digestOf(cache, "hub/library/moving", "v1")).as("after the time to live").isEqualTo(second.digest());
        assertThat(Http.send("GET", cache.uri("/v2/hub/library/moving/blobs/" + Sha256.digest(second.layers().get(0))),
                null).body()).isEqualTo(second.layers().get(0));
    }

    @Test
    void aStoppedUpstreamStillLeavesTheCachedImagePullable() throws Exception {
        BerthServer upstream = BerthServer.startOnFilesystem(own.resolve("upstream"));
        started.add(upstream);
        UpstreamImages.Image image = UpstreamImages.push(upstream, "library/app", "v1", UpstreamImages.image(100_000));
        MovableClock clock = new MovableClock();
        BerthServer cache = cacheOf(upstream, own.resolve("cache"), clock);
        started.add(cache);
        assertThat(digestOf(cache, "hub/library/app", "v1")).isEqualTo(image.digest());
        for (byte[] blob : image.blobs()) {
            assertThat(Http.send("GET", cache.uri("/v2/hub/library/app/blobs/" + Sha256.digest(blob)), null).body())
                    .isEqualTo(blob);
        }
        upstream.close();
        started.remove(upstream);
        clock.advance(Duration.ofMinutes(5));

        assertThat(digestOf(cache, "hub/library/app", "v1")).as("served stale").isEqualTo(image.digest());
        for (byte[] blob : image.blobs()) {
            assertThat(Http.send("GET", cache.uri("/v2/hub/library/app/blobs/" + Sha256.digest(blob)), null).body())
                    .isEqualTo(blob);
        }
        HttpResponse<String> uncached = Http.sendText("GET", cache.uri("/v2/hub/library/app/manifests/v2"), null);
        assertThat(uncached.statusCode()).isEqualTo(502);
        assertThat(uncached.body()).contains("\"UNKNOWN\"");
        String metrics = Http.getText(cache.managementUri("/actuator/prometheus")).body();
        assertThat(metrics).contains("berth_proxy_stale_served_total 1.0")
                .contains("berth_proxy_upstream_errors_total{status=\"none\"} 2.0");
    }

    @Test
    void pushesAndDeletesToACachedRepositoryAreRefused() {
        UpstreamImages.Image image = UpstreamImages.push(upstream, "library/readonly", "v1", UpstreamImages.image(1000));
        assertThat(digestOf(cache, "hub/library/readonly", "v1")).isEqualTo(image.digest());

        List<HttpResponse<String>> refused = List.of(
                Http.sendText("POST", cache.uri("/v2/hub/library/readonly/blobs/uploads/"), null),
                Http.sendText("POST", cache.uri("/v2/hub/other/blobs/uploads/?digest=" + Sha256.digest(image.config())),
                        image.config()),
                Http.sendText("PUT", cache.uri("/v2/hub/library/readonly/manifests/v2"), image.manifest(),
                        "Content-Type", OCI_MANIFEST),
                Http.sendText("DELETE", cache.uri("/v2/hub/library/readonly/manifests/v1"), null),
                Http.sendText("DELETE", cache.uri("/v2/hub/library/readonly/manifests/" + image.digest()), null),
                Http.sendText("PATCH", cache.uri("/v2/hub/library/readonly/blobs/uploads/0193a000-0000-7000-8000-000000000000"),
                        new byte[] {1}));
        for (HttpResponse<String> answer : refused) {
            assertThat(answer.statusCode()).as("%s %s", answer.request().method(), answer.uri()).isEqualTo(405);
            assertThat(answer.body()).contains("\"code\":\"UNSUPPORTED\"").contains("read-only cache");
        }
        // The web UI neither offers nor takes a delete there.
        assertThat(Http.getText(cache.uri("/ui/repository?name=hub/library/readonly")).body()).contains("v1")
                .doesNotContain("Delete tag");
        HttpResponse<String> confirm = Http.getText(cache.uri("/ui/delete?name=hub/library/readonly&reference=v1"));
        assertThat(confirm.statusCode()).isEqualTo(405);
        assertThat(confirm.body()).contains("read-only cache");
        assertThat(digestOf(cache, "hub/library/readonly", "v1")).isEqualTo(image.digest());
        // Outside the prefix the registry takes pushes and deletes as ever.
        UpstreamImages.push(cache, "team/app", "v1", UpstreamImages.image(1000));
        assertThat(Http.getText(cache.uri("/ui/repository?name=team/app")).body()).contains("Delete tag");
    }

    @Test
    void aMirrorCachesEveryRepositoryWithoutAPrefix() {
        UpstreamImages.Image image = UpstreamImages.push(upstream, "library/mirrored", "v1", UpstreamImages.image(1000));
        BerthServer mirror = BerthServer.startOnFilesystem(own.resolve("mirror"),
                "--berth.proxy.mirror.upstream=http://" + upstream.hostAndPort());
        started.add(mirror);

        assertThat(digestOf(mirror, "library/mirrored", "v1")).isEqualTo(image.digest());
        assertThat(Http.send("GET", mirror.uri("/v2/library/mirrored/blobs/" + Sha256.digest(image.layers().get(0))), null)
                .body()).isEqualTo(image.layers().get(0));
        assertThat(Http.sendText("POST", mirror.uri("/v2/anything/blobs/uploads/"), null).statusCode()).isEqualTo(405);
    }

    @Test
    void garbageCollectionEvictsWhatWasNotPulledAndAPullBringsItBack() {
        BerthServer upstream = BerthServer.startOnFilesystem(own.resolve("upstream"));
        started.add(upstream);
        UpstreamImages.Image kept = UpstreamImages.push(upstream, "library/kept", "v1", UpstreamImages.image(50_000));
        UpstreamImages.Image idle = UpstreamImages.push(upstream, "library/idle", "v1", UpstreamImages.image(60_000));
        MovableClock clock = new MovableClock();
        // The filesystem dates what it writes by the real time, which the cache's clock must not lag behind.
        Duration behind = Duration.between(clock.instant(), Instant.now());
        clock.advance(behind.isNegative() ? Duration.ZERO : behind.plusMinutes(1));
        BerthServer cache = BerthServer.startOnFilesystem(own.resolve("cache"), clock,
                "--berth.proxy.rules[0].prefix=hub", "--berth.proxy.rules[0].upstream=http://" + upstream.hostAndPort(),
                "--berth.proxy.rules[0].evict-after=2d", "--berth.gc.settle=0s");
        started.add(cache);
        for (UpstreamImages.Image image : List.of(kept, idle)) {
            String repository = image == kept ? "hub/library/kept" : "hub/library/idle";
            assertThat(digestOf(cache, repository, "v1")).isEqualTo(image.digest());
            for (byte[] blob : image.blobs()) {
                assertThat(Http.send("GET", cache.uri("/v2/" + repository + "/blobs/" + Sha256.digest(blob)), null)
                        .body()).isEqualTo(blob);
            }
        }
        clock.advance(Duration.ofDays(2));
        assertThat(digestOf(cache, "hub/library/kept", "v1")).isEqualTo(kept.digest());
        clock.advance(Duration.ofHours(2)); // idle: unpulled for 2 days and 2 hours

        HttpResponse<String> run = Http.sendText("POST", cache.managementUri("/actuator/garbagecollect"), null);
        assertThat(run.statusCode()).isEqualTo(200);
        assertThat(run.body()).contains("\"tagsDeleted\":1", "\"manifestsDeleted\":1", "\"deleted\":3",
                "evicted: not pulled for 2d", "hub/library/idle").doesNotContain("hub/library/kept\",\"tag");
        Path cached = own.resolve("cache/docker/registry/v2");
        for (byte[] blob : idle.blobs()) {
            assertThat(cached.resolve("blobs/sha256/" + Sha256.hex(blob).substring(0, 2) + "/" + Sha256.hex(blob)))
                    .as("collected in the same run").doesNotExist();
        }
        assertThat(cached.resolve("repositories/hub/library/kept/_manifests/tags/v1/current/link")).exists();
        assertThat(metric(cache, "berth_gc_tags_deleted_total")).isEqualTo(1);
        assertThat(metric(cache, "berth_gc_manifests_deleted_total")).isEqualTo(1);

        assertThat(digestOf(cache, "hub/library/idle", "v1")).as("fetched again").isEqualTo(idle.digest());
        assertThat(Http.send("GET", cache.uri("/v2/hub/library/idle/blobs/" + Sha256.digest(idle.layers().get(0))),
                null).body()).isEqualTo(idle.layers().get(0));
    }

    private static String digestOf(BerthServer cache, String repository, String tag) {
        HttpResponse<byte[]> answer = Http.send("GET", cache.uri("/v2/" + repository + "/manifests/" + tag), null,
                "Accept", OCI_MANIFEST);
        assertThat(answer.statusCode()).as(new String(answer.body())).isEqualTo(200);
        assertThat(Sha256.digest(answer.body())).isEqualTo(answer.headers().firstValue("Docker-Content-Digest").get());
        return Sha256.digest(answer.body());
    }

    /** The value of one series of the server's Prometheus page, 0 when it is not there. */
    private static double metric(BerthServer server, String series) {
        String page = Http.getText(server.managementUri("/actuator/prometheus")).body();
        for (String line : page.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    private static Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return work.resolve("cache/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
    }
}
