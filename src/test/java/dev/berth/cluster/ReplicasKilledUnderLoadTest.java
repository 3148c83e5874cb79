package dev.berth.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Azurite;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three replicas on one Azure store (Azurite) while six clients push blobs in random chunks and manifests that
 * reference them, every request to a random replica, and one replica is killed with SIGKILL every few
 * seconds (whatever it is doing: a chunk, a commit, a manifest) and started again. A client whose request
 * breaks goes on with another replica: it asks where its upload stands and resumes, or repeats its commit or
 * manifest push. Nothing acknowledged may be lost, and no upload may have to start over.
 */
@Timeout(420)
class ReplicasKilledUnderLoadTest {

    static final String CONTAINER = "berth-chaos";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final Duration LOAD = Duration.ofSeconds(60);
    /** Replicas killed under the load, at least. */
    static final int KILLS = 3;
    static final int CLIENTS = 6;

    static final List<BerthProcess> live = new CopyOnWriteArrayList<>();
    /** Every replica ever started, stopped at the end whatever happened. */
    static final List<BerthProcess> started = new CopyOnWriteArrayList<>();

    /** Every blob and manifest a client was told was stored, to read back at the end. */
    static final Map<String, String> acknowledgedBlobs = new ConcurrentHashMap<>();
    static final Map<String, String> acknowledgedManifests = new ConcurrentHashMap<>();

    static final AtomicInteger uploads = new AtomicInteger();
    static final AtomicInteger chunks = new AtomicInteger();
    static final AtomicInteger resumes = new AtomicInteger();
    static final AtomicInteger repeatedCommits = new AtomicInteger();
    static final AtomicInteger repeatedManifests = new AtomicInteger();
    static final AtomicInteger restarts = new AtomicInteger();
    static final AtomicInteger kills = new AtomicInteger();

    @BeforeAll
    static void startReplicas() throws Exception {
        ExecutorService starting = Executors.newFixedThreadPool(3);
        try {
            List<Future<BerthProcess>> replicas = new ArrayList<>();
            for (String name : List.of("A", "B", "C")) {
                replicas.add(starting.submit(() -> start(name)));
            }
            for (Future<BerthProcess> replica : replicas) {
                live.add(replica.get());
            }
        } finally {
            starting.shutdown();
        }
    }

    static BerthProcess start(String name) {
        BerthProcess replica = BerthProcess.startOnAzure(name, Azurite.get().getConnectionString(), CONTAINER);
        started.add(replica);
        return replica;
    }

    @AfterAll
    static void stopReplicas() {
        started.forEach(BerthProcess::close);
    }

    @Test
    void nothingAcknowledgedIsLostAndNoUploadStartsOver() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 1);
        List<Future<?>> work = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            work.add(clients.submit(() -> {
                Random random = new Random(1000 + client);
                int round = 0;
                while (running.get()) {
                    pushImage("chaos/client-" + client, "r" + round++, random);
                }
                return null;
            }));
        }
        Future<?> killer = clients.submit(() -> {
            killAndRestart(running);
            return null;
        });
        try {
            Thread.sleep(LOAD.toMillis());
            // A replacement takes long to start on a busy machine, and only a cluster of two or more loses one:
            // the load goes on until enough replicas died under it, within a bound.
            long deadline = System.nanoTime() + LOAD.multipliedBy(2).toNanos();
            while (kills.get() < KILLS && System.nanoTime() - deadline < 0) {
                Thread.sleep(500);
            }
            running.set(false);
            for (Future<?> client : work) {
                client.get();
            }
        } finally {
            running.set(false);
            killer.get();
            clients.shutdownNow();
        }

        System.out.printf("under kill -9: %d replicas killed; %d uploads (%d chunks) committed, %d resumed after a"
                        + " broken request, %d commits and %d manifest pushes repeated on another replica, %d uploads"
                        + " started over; %d blobs and %d manifests acknowledged%n", kills.get(), uploads.get(),
                chunks.get(), resumes.get(), repeatedCommits.get(), repeatedManifests.get(), restarts.get(),
                acknowledgedBlobs.size(), acknowledgedManifests.size());

        for (Map.Entry<String, String> blob : acknowledgedBlobs.entrySet()) {
            HttpResponse<byte[]> read = Http.send("GET", any().uri(blob.getValue()), null);
            assertThat(read.statusCode()).as("GET %s", blob.getValue()).isEqualTo(200);
            assertThat(Sha256.digest(read.body())).as("bytes of %s", blob.getValue()).isEqualTo(blob.getKey());
        }
        for (Map.Entry<String, String> manifest : acknowledgedManifests.entrySet()) {
            HttpResponse<byte[]> read = Http.send("GET", any().uri(manifest.getKey()), null, "Accept", OCI_MANIFEST);
            assertThat(read.statusCode()).as("GET %s", manifest.getKey()).isEqualTo(200);
            assertThat(Sha256.digest(read.body())).as("digest of %s", manifest.getKey()).isEqualTo(manifest.getValue());
        }
        assertThat(kills.get()).as("replicas killed").isGreaterThanOrEqualTo(KILLS);
        assertThat(acknowledgedManifests).as("images pushed").isNotEmpty();
        assertThat(restarts.get()).as("uploads that had to start over").isZero();
    }

    /**
     * Kills a random replica every 4-7 s (while another stays up) and starts a new one in its place in the
     * background, so kills go on while replacements start.
     */
    private static void killAndRestart(AtomicBoolean running) throws Exception {
        Random random = new Random(7);
        ExecutorService restarting = Executors.newCachedThreadPool();
        List<Future<?>> replacements = new ArrayList<>();
        try {
            while (running.get()) {
                Thread.sleep(4000 + random.nextInt(3000));
                if (!running.get() || live.size() < 2) {
                    continue;
                }
                BerthProcess victim = (BerthProcess) live.toArray()[random.nextInt(live.size())];
                live.remove(victim);
                victim.kill();
                kills.incrementAndGet();
                replacements.add(restarting.submit(() -> live.add(start(victim.name()))));
            }
            for (Future<?> replacement : replacements) {
                replacement.get();
            }
        } finally {
            restarting.shutdown();
        }
    }

    /** A config, a layer in random chunks and a manifest naming them, pushed through whichever replica answers. */
    private static void pushImage(String repository, String tag, Random random) throws Exception {
        byte[] config = ("{\"tag\":\"" + tag + "\",\"at\":" + System.nanoTime() + "}").getBytes(StandardCharsets.UTF_8);
        String configDigest = uploadBlob(repository, config, random);
        byte[] layer = new byte[(1 + random.nextInt(4)) * 1024 * 1024 + random.nextInt(1024)];
        random.nextBytes(layer);
        String layerDigest = uploadBlob(repository, layer, random);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":"
                + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                + layerDigest + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String path = "/v2/" + repository + "/manifests/" + tag;
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> pushed = send("PUT", path, manifest, "Content-Type", OCI_MANIFEST);
            if (pushed != null && pushed.statusCode() == 201) {
                acknowledgedManifests.put(path, Sha256.digest(manifest));
                return;
            }
            requireRetry(pushed, attempt, path);
            repeatedManifests.incrementAndGet();
        }
    }

    /** One upload: chunks to random replicas, resumed from where the store says it stands after any break. */
    private static String uploadBlob(String repository, byte[] blob, Random random) throws Exception {
        String digest = Sha256.digest(blob);
        String location = null;
        for (int attempt = 0; location == null; attempt++) {
            HttpResponse<String> started = send("POST", "/v2/" + repository + "/blobs/uploads/", new byte[0]);
            if (started != null && started.statusCode() == 202) {
                location = started.headers().firstValue("Location").orElseThrow();
            } else {
                requireRetry(started, attempt, "POST");
            }
        }
        long offset = 0;
        int failures = 0;
        while (offset < blob.length) {
            int length = (int) Math.min(blob.length - offset, 256 * 1024 + random.nextInt(2 * 1024 * 1024));
            HttpResponse<String> patched = send("PATCH", location,
                    Arrays.copyOfRange(blob, (int) offset, (int) offset + length),
                    "Content-Range", offset + "-" + (offset + length - 1));
            if (patched != null && patched.statusCode() == 202) {
                offset += length;
                chunks.incrementAndGet();
                continue;
            }
            requireRetry(patched, failures++, "PATCH " + location);
            offset = standing(location);
            resumes.incrementAndGet();
        }
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> committed = send("PUT", location + "?digest=" + digest, new byte[0]);
            if (committed != null && committed.statusCode() == 201) {
                acknowledgedBlobs.put(digest, "/v2/" + repository + "/blobs/" + digest);
                uploads.incrementAndGet();
                return digest;
            }
            requireRetry(committed, attempt, "PUT " + location);
            repeatedCommits.incrementAndGet();
        }
    }

    /** Where the upload stands, asked of any replica that answers; an upload the store lost must start over. */
    private static long standing(String location) throws Exception {
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> status = send("GET", location, null);
            if (status != null && status.statusCode() == 204) {
                // "0-0" stands for no bytes as well as for one: chunks here are never a single byte.
                String range = status.headers().firstValue("Range").orElseThrow();
                return range.equals("0-0") ? 0 : Long.parseLong(range.substring(range.indexOf('-') + 1)) + 1;
            }
            if (status != null && status.statusCode() == 404) {
                restarts.incrementAndGet();
                throw new AssertionError("upload " + location + " is unknown after a broken request: " + status.body());
            }
            requireRetry(status, attempt, "GET " + location);
        }
    }

    /** A broken request (no answer, or 5xx/416 from a replica that died or raced) is retried; others fail. */
    private static void requireRetry(HttpResponse<String> response, int attempt, String what) throws InterruptedException {
        if (response != null && response.statusCode() < 500 && response.statusCode() != 416) {
            throw new AssertionError(what + " answered " + response.statusCode() + " " + response.body());
        }
        if (attempt > 40) {
            throw new AssertionError(what + " kept failing: " + (response == null ? "no answer" : response.body()));
        }
        Thread.sleep(100 + ThreadLocalRandom.current().nextInt(200));
    }

    /** The request on a random live replica; null when the replica did not answer (killed, or starting). */
    private static HttpResponse<String> send(String method, String path, byte[] body, String... headers)
            throws InterruptedException {
        try {
            return Http.sendText(method, any().uri(path), body, headers);
        } catch (UncheckedIOException broken) {
            return null;
        }
    }

    private static BerthProcess any() {
        Object[] now = live.toArray();
        return (BerthProcess) now[ThreadLocalRandom.current().nextInt(now.length)];
    }

}
