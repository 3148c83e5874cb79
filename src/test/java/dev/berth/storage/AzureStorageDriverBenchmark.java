package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpClientProvider;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import dev.berth.storage.azure.AzureStorageDriver;
import dev.berth.storage.azure.AzureStorageDrivers;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.testcontainers.azure.AzuriteContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Measurements of the Azure store on Azurite, not run by default (minutes of I/O):
 * {@code ./mvnw test -Dtest=AzureStorageDriverBenchmark -Dberth.azure.bench=true [-Dberth.azure.bench.size-mib=1024]
 * [-Dberth.azure.bench.http=com.azure.core.http.okhttp.OkHttpAsyncClientProvider]}. Azurite itself is the
 * bottleneck (one core), so compare the driver with a direct SDK upload to the same Azurite, not in absolute
 * numbers. Prints lines starting with "BENCH".
 */
@Testcontainers
@EnabledIfSystemProperty(named = "berth.azure.bench", matches = "true")
@TestMethodOrder(MethodOrderer.MethodName.class)
class AzureStorageDriverBenchmark {

    private static final long MIB = 1024 * 1024;

    @Container
    static final AzuriteContainer AZURITE = new AzuriteContainer(AzureStorageDriverTest.AZURITE_IMAGE);

    private static final long SIZE = Long.getLong("berth.azure.bench.size-mib", 1024) * MIB;

    private static AzureStorageDriver driver;
    private static AzureStorageDriver serial;

    @BeforeAll
    static void createStore() throws Exception {
        StorageProperties.Azure azure = AzureStorageDriverTest.settings(AZURITE.getConnectionString(), "bench", null);
        driver = AzureStorageDrivers.create(azure, AzureStorageDriver.Settings.defaults(), httpClient());
        AzureStorageDriver.Settings one = new AzureStorageDriver.Settings(8 * (int) MIB, 1, 4000 * MIB, Duration.ofHours(1));
        serial = AzureStorageDrivers.create(azure, one, httpClient());
        String provider = System.getProperty("berth.azure.bench.http", "default");
        log("transport %s (%s), size %d MiB, max heap %d MiB", provider,
                httpClient().getClass().getName(), SIZE / MIB, Runtime.getRuntime().maxMemory() / MIB);
    }

    @SuppressWarnings("unchecked")
    static HttpClient httpClient() throws ClassNotFoundException {
        String provider = System.getProperty("berth.azure.bench.http");
        var options = AzureStorageDrivers.httpClientOptions();
        if (provider != null) {
            options.setHttpClientProvider((Class<? extends HttpClientProvider>) Class.forName(provider));
        }
        return HttpClient.createDefault(options);
    }

    @AfterAll
    static void close() {
        if (driver != null) {
            driver.close();
            serial.close();
        }
    }

    @Test
    void a_writeThroughTheDriverVersusADirectSdkUpload() throws Exception {
        for (int round = 0; round < 2; round++) {
            timedDriverWrite("driver.write (4 in flight)", driver, "w/driver-" + round);
            timedDirectUpload("SDK upload (8 MiB blocks, 4 in flight)", "w/direct-" + round);
        }
        timedDriverWrite("driver.write (1 in flight)", serial, "w/serial");
        driver.delete("w");
        serial.delete("w");
    }

    @Test
    void b_concatenateManyParts() {
        int parts = 64;
        long partSize = SIZE / parts;
        List<String> sources = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < parts; i++) {
            String source = String.format("c/parts/%03d", i);
            driver.write(source, new StorageDriverContract.GeneratedStream(partSize, i, null));
            sources.add(source);
        }
        log("wrote %d parts of %d MiB in %.1f s", parts, partSize / MIB, seconds(start));
        start = System.nanoTime();
        driver.concatenate(sources, "c/blob");
        double took = seconds(start);
        log("concatenate %d parts (%d MiB) -> %.2f s (%.0f MiB/s)", parts, SIZE / MIB, took, SIZE / MIB / took);
        assertThat(driver.stat("c/blob").orElseThrow().size()).isEqualTo(partSize * parts);
        start = System.nanoTime();
        serial.concatenate(sources, "c/blob-serial");
        took = seconds(start);
        log("concatenate %d parts, 1 in flight -> %.2f s", parts, took);
        driver.delete("c");
    }

    /**
     * One source: the driver (Copy Blob, waited for) versus the sync Copy Blob From URL. (Put Block From URL +
     * commit, measured before the driver switched to Copy Blob for one source: 6.7-6.9 s for 256 MiB.)
     */
    @Test
    void c_concatenateOneSource() {
        long size = Math.min(SIZE, 256 * MIB); // Copy Blob From URL takes at most 256 MiB
        driver.write("one/source", new StorageDriverContract.GeneratedStream(size, 99, null));
        BlobClient source = driver.container().getBlobClient("one/source");
        String url = source.getBlobUrl() + "?" + source.generateSas(new BlobServiceSasSignatureValues(
                OffsetDateTime.now().plusHours(1), new BlobSasPermission().setReadPermission(true)));
        for (int round = 0; round < 2; round++) {
            long start = System.nanoTime();
            driver.concatenate(List.of("one/source"), "one/by-blocks");
            log("1 source of %d MiB: driver.concatenate (Copy Blob, waited for) %.2f s", size / MIB, seconds(start));

            start = System.nanoTime();
            try {
                driver.container().getBlobClient("one/by-copy").beginCopy(source.getBlobUrl(), Duration.ofMillis(100))
                        .waitForCompletion(Duration.ofMinutes(10));
                log("1 source of %d MiB: Copy Blob (async, polled) %.2f s", size / MIB, seconds(start));
            } catch (RuntimeException e) {
                log("1 source of %d MiB: Copy Blob (async) failed: %s", size / MIB, e.getMessage());
            }

            start = System.nanoTime();
            try {
                driver.container().getBlobClient("one/by-sync-copy").copyFromUrlWithResponse(url, null, null, null,
                        null, null, Context.NONE);
                log("1 source of %d MiB: Copy Blob From URL (sync) %.2f s", size / MIB, seconds(start));
            } catch (RuntimeException e) {
                log("1 source of %d MiB: Copy Blob From URL (sync) failed: %s", size / MIB, e.getMessage());
            }
        }
        assertThat(driver.stat("one/by-blocks").orElseThrow().size()).isEqualTo(size);
        driver.delete("one");
    }

    private static void timedDriverWrite(String what, AzureStorageDriver store, String path) {
        System.gc();
        HeapSampler heap = HeapSampler.start();
        long start = System.nanoTime();
        long written = store.write(path, new StorageDriverContract.GeneratedStream(SIZE, 1, null));
        double took = seconds(start);
        long peak = heap.stop();
        assertThat(written).isEqualTo(SIZE);
        log("%s: %d MiB in %.2f s = %.1f MiB/s; heap used peak %d MiB (baseline %d MiB)", what, SIZE / MIB, took,
                SIZE / MIB / took, peak / MIB, heap.baseline / MIB);
    }

    private static void timedDirectUpload(String what, String path) {
        System.gc();
        HeapSampler heap = HeapSampler.start();
        BlobClient blob = driver.container().getBlobClient(path);
        long start = System.nanoTime();
        blob.uploadWithResponse(new BlobParallelUploadOptions(new StorageDriverContract.GeneratedStream(SIZE, 1, null))
                .setParallelTransferOptions(new ParallelTransferOptions().setBlockSizeLong(8 * MIB)
                        .setMaxSingleUploadSizeLong(8 * MIB).setMaxConcurrency(4)), null, Context.NONE);
        double took = seconds(start);
        long peak = heap.stop();
        log("%s: %d MiB in %.2f s = %.1f MiB/s; heap used peak %d MiB (baseline %d MiB)", what, SIZE / MIB, took,
                SIZE / MIB / took, peak / MIB, heap.baseline / MIB);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void log(String format, Object... args) {
        System.out.println("BENCH " + String.format(format, args));
    }

    /** Samples the heap's used bytes every few milliseconds (garbage included: an upper bound). */
    private static final class HeapSampler {
        private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        private final AtomicLong peak = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final long baseline = memory.getHeapMemoryUsage().getUsed();
        private Thread thread;

        static HeapSampler start() {
            HeapSampler sampler = new HeapSampler();
            sampler.thread = new Thread(() -> {
                while (sampler.running.get()) {
                    sampler.peak.accumulateAndGet(sampler.memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.thread.setDaemon(true);
            sampler.thread.start();
            return sampler;
        }

        long stop() {
            running.set(false);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return peak.get();
        }
    }
}
