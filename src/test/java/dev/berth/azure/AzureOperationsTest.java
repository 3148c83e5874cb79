package dev.berth.azure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Azurite;
import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.azure.AzuriteContainer;

/**
 * Berth on an Azurite of its own, for what needs the Azure store itself: readiness while the store is
 * unreachable, and blob reads redirected to signed URLs of the store.
 */
class AzureOperationsTest {

    static AzuriteContainer azurite;
    static BerthServer berth;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        azurite = new AzuriteContainer(Azurite.IMAGE);
        azurite.start();
        berth = BerthServer.start("--berth.storage.backend=azure",
                "--berth.storage.azure.connection-string=" + azurite.getConnectionString(),
                "--berth.storage.azure.container=operations", "--berth.storage.redirect.enabled=true",
                "--berth.storage.redirect.lifetime=2m", "--berth.uploads.purge.enabled=false");
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
        azurite.stop();
    }

    @Test
    void readinessGoesDownWhileTheStoreIsUnreachableAndUpWhenItAnswersAgain() throws Exception {
        HttpResponse<String> up = readiness();
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).contains("\"backend\":\"azure\"").contains("latencyMillis");

        String id = azurite.getContainerId();
        azurite.getDockerClient().pauseContainerCmd(id).exec();
        try {
            HttpResponse<String> down = readiness();
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("DOWN").contains("\"backend\":\"azure\"")
                    .doesNotContain("AccountKey").doesNotContain(azurite.getConnectionString());
            HttpResponse<String> liveness = http.send(HttpRequest.newBuilder(
                    berth.managementUri("/actuator/health/liveness")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(liveness.statusCode()).as("a store outage is no reason to restart the replica").isEqualTo(200);
        } finally {
            azurite.getDockerClient().unpauseContainerCmd(id).exec();
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int status;
        do {
            status = readiness().statusCode();
        } while (status != 200 && System.nanoTime() < deadline);
        assertThat(status).isEqualTo(200);
    }

    @Test
    void twoPrefixesShareAContainerBerthDidNotCreateWithoutSeeingEachOther() throws Exception {
        com.azure.storage.blob.BlobContainerClient shared = new com.azure.storage.blob.BlobContainerClientBuilder()
                .connectionString(azurite.getConnectionString()).containerName("shared-by-two").buildClient();
        shared.create();
        String[] common = {"--berth.storage.backend=azure", "--berth.storage.azure.connection-string="
                + azurite.getConnectionString(), "--berth.storage.azure.container=shared-by-two",
                "--berth.storage.azure.create-container=false", "--berth.uploads.purge.enabled=false"};
        try (BerthServer a = BerthServer.start(with(common, "--berth.storage.azure.prefix=tenant-a"));
                BerthServer b = BerthServer.start(with(common, "--berth.storage.azure.prefix=tenant-b"))) {
            byte[] blob = "only tenant a has this".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String digest = Sha256.digest(blob);
            HttpResponse<String> pushed = http.send(HttpRequest.newBuilder(a.uri("/v2/team/app/blobs/uploads/?digest="
                    + digest)).POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(201);

            assertThat(http.send(HttpRequest.newBuilder(a.uri("/v2/team/app/blobs/" + digest)).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("only tenant a has this");
            assertThat(http.send(HttpRequest.newBuilder(b.uri("/v2/team/app/blobs/" + digest)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            java.util.List<String> names = shared.listBlobs().stream().map(item -> item.getName()).toList();
            assertThat(names).isNotEmpty().allMatch(name -> name.startsWith("tenant-a/") || name.startsWith("tenant-b/"));
            assertThat(names).anyMatch(name -> name.startsWith("tenant-a/docker/registry/v2/blobs/sha256/"));
        }
    }

    @Test
    void withoutTheRightToCreateAMissingContainerBerthIsNotReady() throws Exception {
        try (BerthServer missing = BerthServer.start("--berth.storage.backend=azure",
                "--berth.storage.azure.connection-string=" + azurite.getConnectionString(),
                "--berth.storage.azure.container=nobody-made-this", "--berth.storage.azure.create-container=false",
                "--berth.uploads.purge.enabled=false")) {
            HttpResponse<String> readiness = http.send(HttpRequest.newBuilder(
                    missing.managementUri("/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(503);
            assertThat(new com.azure.storage.blob.BlobContainerClientBuilder()
                    .connectionString(azurite.getConnectionString()).containerName("nobody-made-this").buildClient()
                    .exists()).as("the container Berth was told not to create").isFalse();
        }
    }

    private static String[] with(String[] common, String... more) {
        String[] all = Arrays.copyOf(common, common.length + more.length);
        System.arraycopy(more, 0, all, common.length, more.length);
        return all;
    }

    @Test
    void blobReadsAreRedirectedToASignedUrlOfTheStoreAndHeadStaysWithBerth() throws Exception {
        byte[] blob = new byte[300_000];
        new Random(3).nextBytes(blob);
        String digest = Sha256.digest(blob);
        HttpResponse<String> pushed = http.send(HttpRequest.newBuilder(
                berth.uri("/v2/redirect/app/blobs/uploads/?digest=" + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pushed.statusCode()).isEqualTo(201);

        HttpResponse<byte[]> redirected = http.send(HttpRequest.newBuilder(
                berth.uri("/v2/redirect/app/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(redirected.statusCode()).isEqualTo(307);
        assertThat(redirected.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        URI location = URI.create(redirected.headers().firstValue("Location").orElseThrow());
        assertThat(location.getPort()).isEqualTo(azurite.getMappedPort(10000));
        assertThat(location.getQuery()).contains("sig=").contains("sp=r");

        HttpResponse<byte[]> direct = http.send(HttpRequest.newBuilder(location).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(direct.statusCode()).isEqualTo(200);
        assertThat(direct.body()).isEqualTo(blob);

        HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(location).header("Range", "bytes=100-199").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(blob, 100, 200));

        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(berth.uri("/v2/redirect/app/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(blob.length);

        HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(berth.uri("/v2/other/app/blobs/" + digest))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).as("no redirect for a blob the repository lacks").isEqualTo(404);
    }

    @Test
    void theFilesystemStoreServesBytesItselfEvenWithRedirectsOn(@TempDir Path store) throws Exception {
        try (BerthServer local = BerthServer.startOnFilesystem(store, "--berth.storage.redirect.enabled=true",
                "--berth.uploads.purge.enabled=false")) {
            byte[] blob = "served by Berth".getBytes();
            String digest = Sha256.digest(blob);
            http.send(HttpRequest.newBuilder(local.uri("/v2/local/app/blobs/uploads/?digest=" + digest))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.discarding());
            HttpResponse<byte[]> read = http.send(HttpRequest.newBuilder(local.uri("/v2/local/app/blobs/" + digest))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.body()).isEqualTo(blob);
        }
    }

    private HttpResponse<String> readiness() throws Exception {
        return http.send(HttpRequest.newBuilder(berth.managementUri("/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
