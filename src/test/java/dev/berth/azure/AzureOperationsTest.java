package dev.berth.azure;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Azurite;
import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.azure.AzuriteContainer;

/**
 * Berth on blob containers of its own in the shared Azurite, for what needs the Azure store itself: readiness
 * while the store is unreachable, and blob reads redirected to signed URLs of the store. Pausing the shared
 * emulator for the outage is safe because test classes run one after another.
 */
class AzureOperationsTest {

    static BerthServer berth;

    @BeforeAll
    static void start() {
        berth = BerthServer.start(with(Azurite.berthArgs("operations"), "--berth.storage.redirect.enabled=true",
                "--berth.storage.redirect.lifetime=2m", "--berth.uploads.purge.enabled=false"));
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void readinessGoesDownWhileTheStoreIsUnreachableAndUpWhenItAnswersAgain() throws Exception {
        HttpResponse<String> up = readiness();
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).contains("\"backend\":\"azure\"").contains("latencyMillis");

        AzuriteContainer azurite = Azurite.get();
        String id = azurite.getContainerId();
        azurite.getDockerClient().pauseContainerCmd(id).exec();
        try {
            HttpResponse<String> down = readiness();
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("DOWN").contains("\"backend\":\"azure\"")
                    .doesNotContain("AccountKey").doesNotContain(azurite.getConnectionString());
            HttpResponse<String> liveness = Http.getText(berth.managementUri("/actuator/health/liveness"));
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
                .connectionString(Azurite.get().getConnectionString()).containerName("shared-by-two").buildClient();
        shared.create();
        String[] common = with(Azurite.berthArgs("shared-by-two"), "--berth.storage.azure.create-container=false",
                "--berth.uploads.purge.enabled=false");
        try (BerthServer a = BerthServer.start(with(common, "--berth.storage.azure.prefix=tenant-a"));
                BerthServer b = BerthServer.start(with(common, "--berth.storage.azure.prefix=tenant-b"))) {
            byte[] blob = "only tenant a has this".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String digest = Sha256.digest(blob);
            HttpResponse<String> pushed = Http.sendText("POST", a.uri("/v2/team/app/blobs/uploads/?digest=" + digest),
                    blob);
            assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(201);

            assertThat(Http.getText(a.uri("/v2/team/app/blobs/" + digest)).body()).isEqualTo("only tenant a has this");
            assertThat(Http.getText(b.uri("/v2/team/app/blobs/" + digest)).statusCode()).isEqualTo(404);
            java.util.List<String> names = shared.listBlobs().stream().map(item -> item.getName()).toList();
            assertThat(names).isNotEmpty().allMatch(name -> name.startsWith("tenant-a/") || name.startsWith("tenant-b/"));
            assertThat(names).anyMatch(name -> name.startsWith("tenant-a/docker/registry/v2/blobs/sha256/"));
        }
    }

    @Test
    void withoutTheRightToCreateAMissingContainerBerthIsNotReady() throws Exception {
        try (BerthServer missing = BerthServer.start(with(Azurite.berthArgs("nobody-made-this"),
                "--berth.storage.azure.create-container=false", "--berth.uploads.purge.enabled=false"))) {
            HttpResponse<String> readiness = Http.getText(missing.managementUri("/actuator/health/readiness"));
            assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(503);
            assertThat(new com.azure.storage.blob.BlobContainerClientBuilder()
                    .connectionString(Azurite.get().getConnectionString()).containerName("nobody-made-this").buildClient()
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
        byte[] blob = randomBytes(300_000, 3);
        String digest = Sha256.digest(blob);
        HttpResponse<String> pushed = Http.sendText("POST", berth.uri("/v2/redirect/app/blobs/uploads/?digest=" + digest),
                blob);
        assertThat(pushed.statusCode()).isEqualTo(201);

        HttpResponse<byte[]> redirected = Http.send("GET", berth.uri("/v2/redirect/app/blobs/" + digest), null);
        assertThat(redirected.statusCode()).isEqualTo(307);
        assertThat(redirected.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        URI location = URI.create(redirected.headers().firstValue("Location").orElseThrow());
        assertThat(location.getPort()).isEqualTo(Azurite.get().getMappedPort(10000));
        assertThat(location.getQuery()).contains("sig=").contains("sp=r");

        HttpResponse<byte[]> direct = Http.send("GET", location, null);
        assertThat(direct.statusCode()).isEqualTo(200);
        assertThat(direct.body()).isEqualTo(blob);

        HttpResponse<byte[]> range = Http.send("GET", location, null, "Range", "bytes=100-199");
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(blob, 100, 200));

        HttpResponse<byte[]> head = Http.send("HEAD", berth.uri("/v2/redirect/app/blobs/" + digest), null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(blob.length);

        HttpResponse<String> unknown = Http.getText(berth.uri("/v2/other/app/blobs/" + digest));
        assertThat(unknown.statusCode()).as("no redirect for a blob the repository lacks").isEqualTo(404);
    }

    @Test
    void theFilesystemStoreServesBytesItselfEvenWithRedirectsOn(@TempDir Path store) throws Exception {
        try (BerthServer local = BerthServer.startOnFilesystem(store, "--berth.storage.redirect.enabled=true",
                "--berth.uploads.purge.enabled=false")) {
            byte[] blob = "served by Berth".getBytes();
            String digest = Sha256.digest(blob);
            Http.send("POST", local.uri("/v2/local/app/blobs/uploads/?digest=" + digest), blob);
            HttpResponse<byte[]> read = Http.send("GET", local.uri("/v2/local/app/blobs/" + digest), null);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.body()).isEqualTo(blob);
        }
    }

    private HttpResponse<String> readiness() throws Exception {
        return Http.sendText(Http.request("GET", berth.managementUri("/actuator/health/readiness"), null)
                .timeout(Duration.ofSeconds(20)));
    }
}
