package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.azure.core.util.SharedExecutorService;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.berth.storage.azure.AzureStorageDriver;
import dev.berth.storage.azure.AzureStorageDrivers;
import dev.berth.support.Azurite;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.testcontainers.azure.AzuriteContainer;

/**
 * The Azure Blob Storage store against the driver contract, on the suite's real Azurite (the image that
 * {@code scripts/build-azurite-image} builds offline). Blocks are small here
 * (1 MiB) so that pieces and writes of several blocks are exercised cheaply.
 */
@Tag("azurite")
class AzureStorageDriverTest extends StorageDriverContract {

    /** The suite's one Azurite; this class keeps to a blob container of its own. */
    static final AzuriteContainer AZURITE = Azurite.get();

    private static AzureStorageDriver driver;

    @BeforeAll
    static void createStore() {
        driver = AzureStorageDrivers.create(settings(AZURITE.getConnectionString(), "driver-contract", "prefix/inside"),
                new AzureStorageDriver.Settings(1024 * 1024, 4, Duration.ofMinutes(15)));
    }

    @AfterAll
    static void closeStore() {
        if (driver != null) {
            driver.close();
        }
    }

    static StorageProperties.Azure settings(String connectionString, String container, String prefix) {
        return new StorageProperties.Azure(connectionString, null, null, null, container, prefix, true);
    }

    @Override
    protected StorageDriver driver() {
        return driver;
    }

    @Test
    void keepsEverythingUnderThePrefix() {
        driver.writeBytes(path("x"), bytes(3, 20));
        List<String> names = driver.container().listBlobs(new ListBlobsOptions().setPrefix("prefix/inside/" + base), null)
                .stream().map(BlobItem::getName).toList();
        assertThat(names).containsExactly("prefix/inside/" + base + "/x");
    }

    @Test
    void signsReadUrlsThatServeTheObjectWithoutCredentials() throws Exception {
        byte[] content = bytes(100_000, 21);
        driver.writeBytes(path("signed"), content);
        URI url = driver.readUrl(path("signed"), Duration.ofMinutes(5)).orElseThrow();
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(content);
        URI unsigned = URI.create(url.toString().substring(0, url.toString().indexOf('?')));
        assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(unsigned).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isIn(401, 403, 404);
    }

    @Test
    void writesAndCommitsWhileEveryThreadTheSdkSharesIsBusy() {
        // Many commits at once once held every thread of the SDK's shared executor, polling their Copy Blob,
        // while the HTTP client completed responses on those same threads: no store request finished any more.
        ExecutorService shared = SharedExecutorService.getInstance();
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 20 * Runtime.getRuntime().availableProcessors(); i++) {
            shared.submit(() -> {
                release.await();
                return null;
            });
        }
        try {
            byte[] one = bytes(1_500_000, 31);
            byte[] two = bytes(700_000, 32);
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                Piece first = driver.writePiece(path("busy/data"), new ByteArrayInputStream(one));
                Piece second = driver.writePiece(path("busy/data"), new ByteArrayInputStream(two));
                driver.composePieces(path("busy/data"), List.of(first.handle(), second.handle()), path("busy/blob"));
            }, "the store stood still while the SDK's shared threads were busy");
            byte[] expected = new byte[one.length + two.length];
            System.arraycopy(one, 0, expected, 0, one.length);
            System.arraycopy(two, 0, expected, one.length, two.length);
            assertThat(driver.readAll(path("busy/blob"))).isEqualTo(expected);
        } finally {
            release.countDown();
        }
    }

    @Test
    void anUnreachableStoreFailsWithStorageException() {
        String dead = AZURITE.getConnectionString().replaceAll(":\\d+/devstoreaccount1", ":1/devstoreaccount1");
        RequestRetryOptions twoQuickTries = new RequestRetryOptions(RetryPolicyType.FIXED, 2, (Duration) null,
                Duration.ofMillis(100), Duration.ofMillis(100), null);
        assertThatThrownBy(() -> AzureStorageDrivers.create(new StorageProperties.Azure(dead, null, null, null, "c", null, true),
                AzureStorageDriver.Settings.defaults(), AzureStorageDrivers.httpClient(), twoQuickTries))
                .isInstanceOf(StorageException.class);
        try (AzureStorageDriver unreachable = AzureStorageDrivers.create(
                new StorageProperties.Azure(dead, null, null, null, "c", null, false),
                AzureStorageDriver.Settings.defaults(), AzureStorageDrivers.httpClient(), twoQuickTries)) {
            assertThatThrownBy(() -> unreachable.stat("a")).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> unreachable.read("a", 0)).isInstanceOf(StorageException.class)
                    .isNotInstanceOf(ObjectNotFoundException.class);
            assertThatThrownBy(() -> unreachable.writeBytes("a", new byte[10])).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> unreachable.list("a")).isInstanceOf(StorageException.class);
        }
    }
}
