package dev.berth.cluster;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlockList;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.models.ListBlobsOptions;
import dev.berth.clients.Commands;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageProperties;
import dev.berth.storage.azure.AzureStorageDriver;
import dev.berth.storage.azure.AzureStorageDrivers;
import dev.berth.support.Azurite;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three Berth replicas, each its own OS process, on one Azure Blob Storage container (of its own, in the
 * shared Azurite), as a cluster behind a load balancer: every request of an upload may reach a different
 * replica, a replica may die mid-request, and two replicas may race on the same tag.
 *
 * <p>Replicas log to {@code target/cluster-logs/}; a failing test carries the last lines of every replica's
 * log as a suppressed exception. The test that kills a replica runs last; should another test follow it, the
 * dead replica is replaced first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ThreeReplicasOnOneAzuriteTest {

    static final String CONTAINER = "berth-cluster";

    static final int MIB = 1024 * 1024;

    private static final Pattern DIGEST = Pattern.compile("\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"");

    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    /** Replicas A, B and C; a killed one is replaced in place before the next test. */
    static final List<BerthProcess> replicas = new ArrayList<>();

    @TempDir
    static Path work;

    /** A direct client of the store, to look at what the replicas wrote (never to change it). */
    static AzureStorageDriver store;

    @RegisterExtension
    static final ReplicaLogsOnFailure logsOnFailure = new ReplicaLogsOnFailure();

    /** Follows redirects: with {@code berth.storage.redirect.enabled} blob GETs answer 307 to the store. */
    final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    @BeforeAll
    static void startReplicas() throws Exception {
        store = AzureStorageDrivers.create(
                new StorageProperties.Azure(Azurite.get().getConnectionString(), null, null, null, CONTAINER, null, true));
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<BerthProcess>> starting = new ArrayList<>();
            for (String name : List.of("A", "B", "C")) {
                starting.add(pool.submit(() -> startReplica(name)));
            }
            List<Throwable> failures = new ArrayList<>();
            for (Future<BerthProcess> replica : starting) {
                try {
                    replicas.add(replica.get());
                } catch (ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            if (!failures.isEmpty()) {
                AssertionError error = new AssertionError("replicas did not start", failures.get(0));
                failures.stream().skip(1).forEach(error::addSuppressed);
                throw error;
            }
        } finally {
            pool.shutdown();
        }
        System.out.printf("3 replicas ready in %d ms: %s%n", (System.nanoTime() - started) / 1_000_000, replicas);
    }

    static BerthProcess startReplica(String name) {
        return BerthProcess.startOnAzure(name, Azurite.get().getConnectionString(), CONTAINER);
    }

    /** Replaces any replica an earlier test killed, so every test starts with three (none is, in the usual order). */
    @BeforeEach
    void replaceDeadReplicas() {
        for (int i = 0; i < replicas.size(); i++) {
            BerthProcess replica = replicas.get(i);
            if (!replica.isAlive()) {
                long started = System.nanoTime();
                replicas.set(i, startReplica(replica.name()));
                System.out.printf("replaced %s in %d ms%n", replica, (System.nanoTime() - started) / 1_000_000);
            }
        }
    }

    @AfterAll
    static void stopReplicas() {
        replicas.parallelStream().forEach(BerthProcess::close);
        if (store != null) {
            store.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void uploadWhosePostEveryPatchAndPutGoToDifferentReplicas() throws Exception {
        BerthProcess a = replicas.get(0);
        // Sizes around the store's boundaries: a part bigger than one 8 MiB block (several staged blocks), a
        // single byte, parts at the 64 KiB small-object threshold, ordinary MiB chunks, an odd tail.
        int[] chunks = {9 * MIB + 7, 1, 64 * 1024 - 1, 64 * 1024, 3 * MIB, 2 * MIB + 333, 1 * MIB, 4321};
        int total = Arrays.stream(chunks).sum();
        byte[] blob = randomBytes(total, 11);
        String digest = Sha256.digest(blob);
        String repository = "cluster/rotate-" + Commands.randomSuffix();

        HttpResponse<String> started = send(a, "POST", "/v2/" + repository + "/blobs/uploads/", new byte[0], null);
        assertThat(started.statusCode()).as("POST on A: %s", started.body()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        String uuid = started.headers().firstValue("Docker-Upload-UUID").orElseThrow();
        assertThat(location).endsWith("/" + uuid);

        int next = 1; // B, C, A, B, ...
        int offset = 0;
        List<String> route = new ArrayList<>(List.of("POST@A"));
        for (int length : chunks) {
            BerthProcess replica = replicas.get(next++ % 3);
            int end = offset + length;
            HttpResponse<String> patched = send(replica, "PATCH", location, Arrays.copyOfRange(blob, offset, end),
                    offset + "-" + (end - 1));
            assertThat(patched.statusCode()).as("chunk %d-%d on %s: %s", offset, end - 1, replica, patched.body())
                    .isEqualTo(202);
            assertThat(patched.headers().firstValue("Range")).as("Range after chunk on %s", replica)
                    .hasValue("0-" + (end - 1));
            assertThat(patched.headers().firstValue("Location")).hasValue(location);
            assertThat(patched.headers().firstValue("Docker-Upload-UUID")).hasValue(uuid);
            route.add("PATCH@" + replica.name());
            offset = end;
        }

        BerthProcess statusReplica = replicas.get(next++ % 3);
        HttpResponse<String> status = send(statusReplica, "GET", location, null, null);
        assertThat(status.statusCode()).as("status on %s", statusReplica).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-" + (total - 1));
        route.add("GET@" + statusReplica.name());

        // A chunk that does not start where the upload stands is refused by any replica, and changes nothing.
        BerthProcess stale = replicas.get(next % 3);
        HttpResponse<String> outOfOrder = send(stale, "PATCH", location, new byte[] {1, 2, 3}, "0-2");
        assertThat(outOfOrder.statusCode()).as("stale chunk on %s: %s", stale, outOfOrder.body()).isEqualTo(416);
        assertThat(outOfOrder.headers().firstValue("Range")).hasValue("0-" + (total - 1));

        BerthProcess committer = replicas.get(next++ % 3);
        HttpResponse<String> committed = send(committer, "PUT", location + "?digest=" + digest, new byte[0], null);
        assertThat(committed.statusCode()).as("PUT on %s: %s", committer, committed.body()).isEqualTo(201);
        assertThat(committed.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        route.add("PUT@" + committer.name());
        System.out.println("upload route: " + String.join(" ", route));

        for (BerthProcess replica : replicas) {
            HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(
                    replica.uri("/v2/" + repository + "/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(pulled.statusCode()).as("GET blob from %s", replica).isEqualTo(200);
            assertThat(pulled.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
            assertThat(pulled.body().length).as("length from %s", replica).isEqualTo(total);
            assertThat(Sha256.digest(pulled.body())).as("digest of the bytes from %s", replica).isEqualTo(digest);
            assertThat(pulled.body()).as("bytes from %s", replica).isEqualTo(blob);

            // The finished upload is gone for every replica.
            HttpResponse<String> after = send(replica, "GET", location, null, null);
            assertThat(after.statusCode()).as("status of the finished upload on %s", replica).isEqualTo(404);
        }
    }

    @Test
    @Order(2)
    void dockerPushThroughRoundRobinNginx() throws Exception {
        Commands.requireDockerDaemon();
        Commands.requireExecutable(NginxProcess.NGINX);
        List<String> upstreams = replicas.stream().map(BerthProcess::hostAndPort).toList();
        Map<String, String> replicaByAddress = new LinkedHashMap<>();
        replicas.forEach(r -> replicaByAddress.put(r.hostAndPort(), r.name()));

        try (NginxProcess nginx = NginxProcess.roundRobin(work, upstreams)) {
            String reference = nginx.hostAndPort() + "/cluster/app:v1";
            String imageId = null;
            try {
                imageId = buildImage(work.resolve("docker-context"), reference, 4);
                assertThat(Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format",
                        "{{len .RootFS.Layers}}", reference)).as("layers of the built image").isEqualTo("4");

                String pushed = Commands.docker(Duration.ofSeconds(120), "push", reference);
                Matcher pushedDigest = Pattern.compile("digest: (sha256:[0-9a-f]{64})").matcher(pushed);
                assertThat(pushedDigest.find()).as("push output names the digest:\n%s", pushed).isTrue();

                Commands.docker(Duration.ofSeconds(30), "rmi", reference);
                Commands.Result gone = Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(),
                        "image", "inspect", imageId);
                assertThat(gone.exitCode()).as("image gone locally\n%s", gone.describe()).isNotZero();

                String pulled = Commands.docker(Duration.ofSeconds(120), "pull", reference);
                assertThat(pulled).contains("Digest: " + pushedDigest.group(1));
                assertThat(Commands.docker(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", reference))
                        .as("image ID after the pull through nginx").isEqualTo(imageId);
            } catch (AssertionError | RuntimeException e) {
                e.addSuppressed(new AssertionError("nginx:\n" + nginx.diagnostics()));
                throw e;
            } finally {
                Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", reference);
                if (imageId != null) {
                    Commands.exec(Duration.ofSeconds(30), Commands.dockerEnv(), Commands.docker(), "rmi", "-f", imageId);
                }
            }

            List<NginxProcess.Access> log = nginx.accessLog();
            System.out.println("nginx access log (" + log.size() + " requests):");
            log.forEach(entry -> System.out.println("  " + entry.method() + " " + entry.uri() + " -> " + entry.status()
                    + " by " + replicaByAddress.getOrDefault(entry.upstream(), entry.upstream())));
            assertThat(log).as("requests nginx answered with 5xx").noneMatch(entry -> entry.status() >= 500);

            // Which replicas served each upload session (POST: the id is in the Location it answered).
            Pattern uploadId = Pattern.compile("/blobs/uploads/([0-9a-f-]{36})");
            Map<String, Set<String>> replicasByUpload = new LinkedHashMap<>();
            Set<String> uploadReplicas = new LinkedHashSet<>();
            for (NginxProcess.Access entry : log) {
                if (!entry.uri().contains("/blobs/uploads/")) {
                    continue;
                }
                String replica = replicaByAddress.getOrDefault(entry.upstream(), entry.upstream());
                uploadReplicas.add(replica);
                Matcher id = uploadId.matcher(entry.method().equals("POST") ? entry.location() : entry.uri());
                if (id.find()) {
                    replicasByUpload.computeIfAbsent(id.group(1), k -> new LinkedHashSet<>()).add(replica);
                }
            }
            System.out.println("replicas per upload session: " + replicasByUpload);
            assertThat(replicasByUpload).as("upload sessions seen in the access log").isNotEmpty();
            assertThat(uploadReplicas).as("replicas that served upload requests").hasSizeGreaterThan(1);
            assertThat(replicasByUpload.values()).as("some upload session spread over several replicas")
                    .anyMatch(served -> served.size() > 1);
        }
    }

    @Test
    @Order(3)
    void twoReplicasPushingTheSameTagAtOnce() throws Exception {
        String repository = "cluster/race-" + Commands.randomSuffix();
        String tag = "latest";
        int rounds = 5;
        ConcurrentLinkedQueue<String> serverErrors = new ConcurrentLinkedQueue<>();
        Set<String> everyManifest = new LinkedHashSet<>();
        String lastWinner = null;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < rounds; round++) {
                // The pair of replicas rotates: A+B, B+C, C+A, ...
                List<BerthProcess> pair = List.of(replicas.get(round % 3), replicas.get((round + 1) % 3));
                // One layer both sides upload at once (two replicas completing the same content-addressed blob),
                // and a config of each side's own.
                byte[] layer = randomBytes(3 * MIB + round, 100 + round);
                String layerDigest = Sha256.digest(layer);
                List<byte[]> manifests = new ArrayList<>();
                List<byte[]> configs = new ArrayList<>();
                for (int side = 0; side < 2; side++) {
                    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"side\":\""
                            + side + "\",\"round\":\"" + round + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                            + layerDigest + "\"]}}").getBytes(StandardCharsets.UTF_8);
                    configs.add(config);
                    manifests.add(("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                            + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Sha256.digest(config)
                            + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                            + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layerDigest
                            + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8));
                }
                List<String> manifestDigests = manifests.stream().map(Sha256::digest).toList();
                everyManifest.addAll(manifestDigests);

                CyclicBarrier blobsStart = new CyclicBarrier(2);
                CyclicBarrier manifestsStart = new CyclicBarrier(2);
                List<Future<List<String>>> sides = new ArrayList<>();
                for (int side = 0; side < 2; side++) {
                    BerthProcess replica = pair.get(side);
                    byte[] config = configs.get(side);
                    byte[] manifest = manifests.get(side);
                    sides.add(pool.submit(() -> {
                        List<String> statuses = new ArrayList<>();
                        blobsStart.await(30, TimeUnit.SECONDS);
                        statuses.add(expect(replica, 201, send(replica, "POST", "/v2/" + repository
                                + "/blobs/uploads/?digest=" + Sha256.digest(config), config, null), serverErrors));
                        HttpResponse<String> opened = send(replica, "POST", "/v2/" + repository + "/blobs/uploads/",
                                new byte[0], null);
                        statuses.add(expect(replica, 202, opened, serverErrors));
                        String location = opened.headers().firstValue("Location").orElseThrow();
                        statuses.add(expect(replica, 202, send(replica, "PATCH", location, layer,
                                "0-" + (layer.length - 1)), serverErrors));
                        statuses.add(expect(replica, 201, send(replica, "PUT", location + "?digest=" + layerDigest,
                                new byte[0], null), serverErrors));
                        manifestsStart.await(30, TimeUnit.SECONDS);
                        for (int push = 0; push < 2; push++) {
                            statuses.add(expect(replica, 201, sendManifest(replica, repository, tag, manifest),
                                    serverErrors));
                        }
                        return statuses;
                    }));
                }
                for (Future<List<String>> side : sides) {
                    side.get(120, TimeUnit.SECONDS);
                }
                assertThat(serverErrors).as("5xx answers in round %d", round).isEmpty();

                String winner = null;
                for (BerthProcess replica : replicas) {
                    HttpResponse<byte[]> resolved = getManifest(replica, repository, tag);
                    assertThat(resolved.statusCode()).as("GET tag from %s in round %d", replica, round).isEqualTo(200);
                    String resolvedDigest = resolved.headers().firstValue("Docker-Content-Digest").orElseThrow();
                    assertThat(Sha256.digest(resolved.body())).isEqualTo(resolvedDigest);
                    assertThat(resolvedDigest).as("the tag after round %d names one of its two manifests", round)
                            .isIn(manifestDigests);
                    if (winner == null) {
                        winner = resolvedDigest;
                    }
                    assertThat(resolvedDigest).as("the tag as %s sees it in round %d", replica, round).isEqualTo(winner);
                }
                System.out.printf("round %d: %s (on %s) won over %s (on %s)%n", round, winner,
                        pair.get(manifestDigests.indexOf(winner)).name(),
                        manifestDigests.get(1 - manifestDigests.indexOf(winner)),
                        pair.get(1 - manifestDigests.indexOf(winner)).name());
                lastWinner = winner;
            }
        } finally {
            pool.shutdownNow();
        }

        // The final tag is complete and pullable from every replica: manifest, config and layer.
        for (BerthProcess replica : replicas) {
            HttpResponse<byte[]> manifest = getManifest(replica, repository, tag);
            assertThat(manifest.statusCode()).isEqualTo(200);
            assertThat(Sha256.digest(manifest.body())).as("manifest of the tag from %s", replica).isEqualTo(lastWinner);
            Matcher references = DIGEST.matcher(new String(manifest.body(), StandardCharsets.UTF_8));
            int blobs = 0;
            while (references.find()) {
                String blobDigest = references.group(1);
                HttpResponse<byte[]> blob = http.send(HttpRequest.newBuilder(
                        replica.uri("/v2/" + repository + "/blobs/" + blobDigest)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(blob.statusCode()).as("GET %s from %s", blobDigest, replica).isEqualTo(200);
                assertThat(Sha256.digest(blob.body())).as("content of %s from %s", blobDigest, replica).isEqualTo(blobDigest);
                blobs++;
            }
            assertThat(blobs).as("config and layer referenced").isEqualTo(2);
        }
        // Both manifests of every round stay stored and addressable by digest.
        for (String manifestDigest : everyManifest) {
            HttpResponse<byte[]> byDigest = getManifest(replicas.get(2), repository, manifestDigest);
            assertThat(byDigest.statusCode()).as("GET manifest %s by digest", manifestDigest).isEqualTo(200);
        }
        HttpResponse<String> tags = send(replicas.get(1), "GET", "/v2/" + repository + "/tags/list", null, null);
        assertThat(tags.statusCode()).isEqualTo(200);
        assertThat(tags.body()).contains("\"tags\":[\"" + tag + "\"]");
        assertThat(serverErrors).as("5xx answers").isEmpty();
    }

    /** Last, so that the killed replica need not be replaced (a JVM start saved). */
    @Test
    @Order(4)
    void replicaKilledMidChunkAndClientResumesOnAnother() throws Exception {
        BerthProcess a = replicas.get(0);
        BerthProcess b = replicas.get(1);
        BerthProcess c = replicas.get(2);
        int chunk = 16 * MIB;
        byte[] blob = randomBytes(4 * chunk, 33);
        String digest = Sha256.digest(blob);
        String repository = "cluster/killed-" + Commands.randomSuffix();

        HttpResponse<String> started = send(a, "POST", "/v2/" + repository + "/blobs/uploads/", new byte[0], null);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        long began = System.nanoTime();
        patch(b, location, blob, 0, chunk);
        patch(c, location, blob, chunk, 2 * chunk);
        System.out.printf("two 16 MiB chunks on B and C in %d ms%n", (System.nanoTime() - began) / 1_000_000);

        UploadInStore beforeSlowChunk = uploadInStore(repository, location.substring(location.lastIndexOf('/') + 1));

        // The third chunk goes to A slowly: 10 MiB (a whole 8 MiB block staged, more on its way), then a pause.
        int pauseAt = 10 * MIB;
        PausingStream slow = new PausingStream(blob, 2 * chunk, 3 * chunk, 2 * chunk + pauseAt);
        HttpRequest request = HttpRequest.newBuilder(a.uri(location))
                .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> slow), chunk))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", (2 * chunk) + "-" + (3 * chunk - 1))
                .build();
        CompletableFuture<HttpResponse<String>> dying = http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        assertThat(slow.paused.await(60, TimeUnit.SECONDS)).as("the slow chunk reached its pause").isTrue();
        awaitActiveUploadRequest(a, Duration.ofSeconds(30));
        // A is streaming the chunk into the store: blocks of it are staged (and not committed).
        String uuid = location.substring(location.lastIndexOf('/') + 1);
        int staged = awaitMoreStagedBlocks(repository, uuid, beforeSlowChunk, Duration.ofSeconds(30));
        long killedAt = System.nanoTime();
        a.kill();
        assertThat(a.isAlive()).isFalse();
        System.out.printf("killed %s while it streamed the chunk: %d MiB sent before the pause, %d new block(s) staged%n",
                a, pauseAt / MIB, staged);
        slow.resume.countDown();
        try {
            HttpResponse<String> answered = dying.get(60, TimeUnit.SECONDS);
            fail("the chunk sent to the killed replica was answered: " + answered.statusCode() + " " + answered.body());
        } catch (ExecutionException expected) {
            assertThat(expected.getCause()).as("the client saw the connection break").isInstanceOf(IOException.class);
        } catch (TimeoutException e) {
            fail("the client sending to the killed replica did not notice for 60 s");
        }
        System.out.printf("client noticed the kill in %d ms%n", (System.nanoTime() - killedAt) / 1_000_000);

        System.out.println("the upload in the store after the kill: " + uploadInStore(repository, uuid));

        // B reports only what was committed before: the two first chunks.
        HttpResponse<String> status = send(b, "GET", location, null, null);
        assertThat(status.statusCode()).as("status on B: %s", status.body()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-" + (2 * chunk - 1));
        long resumeFrom = Long.parseLong(status.headers().firstValue("Range").orElseThrow().split("-")[1]) + 1;

        patch(b, location, blob, (int) resumeFrom, 3 * chunk);
        patch(c, location, blob, 3 * chunk, 4 * chunk);
        HttpResponse<String> committed = send(b, "PUT", location + "?digest=" + digest, new byte[0], null);
        assertThat(committed.statusCode()).as("PUT on B: %s", committed.body()).isEqualTo(201);
        assertThat(committed.headers().firstValue("Docker-Content-Digest")).hasValue(digest);

        System.out.printf("resumed and committed on B/C %d ms after the kill%n", (System.nanoTime() - killedAt) / 1_000_000);
        // Staged blocks nobody commits stay until the service drops them (a week on Azure): reported, not asserted.
        System.out.println("left of the upload in the store after the commit: " + uploadInStore(repository, uuid));

        // Read back once in full (from C, which neither started nor committed it); B agrees on what it holds.
        HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(
                c.uri("/v2/" + repository + "/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pulled.statusCode()).as("GET from %s", c).isEqualTo(200);
        assertThat(pulled.body().length).isEqualTo(blob.length);
        assertThat(Sha256.digest(pulled.body())).as("digest of the bytes from %s", c).isEqualTo(digest);
        assertThat(pulled.body()).isEqualTo(blob);
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(b.uri("/v2/" + repository + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).as("HEAD on %s", b).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue(String.valueOf(blob.length));
        assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    }

    // ---------------------------------------------------------------------------------------------------

    private String expect(BerthProcess replica, int status, HttpResponse<String> response,
            ConcurrentLinkedQueue<String> serverErrors) {
        String line = response.request().method() + " " + response.uri().getPath() + " on " + replica.name() + " -> "
                + response.statusCode() + " " + response.body();
        if (response.statusCode() >= 500) {
            serverErrors.add(line);
        }
        assertThat(response.statusCode()).as(line).isEqualTo(status);
        return line;
    }

    private HttpResponse<String> sendManifest(BerthProcess replica, String repository, String reference, byte[] manifest)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(replica.uri("/v2/" + repository + "/manifests/" + reference))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))
                .header("Content-Type", OCI_MANIFEST)
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getManifest(BerthProcess replica, String repository, String reference)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(replica.uri("/v2/" + repository + "/manifests/" + reference))
                .header("Accept", OCI_MANIFEST)
                .build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private void patch(BerthProcess replica, String location, byte[] blob, int from, int to) throws Exception {
        HttpResponse<String> patched = send(replica, "PATCH", location, Arrays.copyOfRange(blob, from, to),
                from + "-" + (to - 1));
        assertThat(patched.statusCode()).as("chunk %d-%d on %s: %s", from, to - 1, replica, patched.body())
                .isEqualTo(202);
        assertThat(patched.headers().firstValue("Range")).hasValue("0-" + (to - 1));
    }

    private HttpResponse<String> send(BerthProcess replica, String method, String path, byte[] body,
            String contentRange) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(replica.uri(path))
                .timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentRange != null) {
            request.header("Content-Range", contentRange);
        }
        if (body != null) {
            request.header("Content-Type", "application/octet-stream");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the replica's metrics show an upload request in progress. */
    private void awaitActiveUploadRequest(BerthProcess replica, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Pattern active = Pattern.compile("(?m)^berth_uploads_requests_active(?:\\{[^}]*\\})? (\\S+)$");
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(replica.managementUri("/actuator/prometheus"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = active.matcher(scrape.body());
            if (m.find()) {
                last = m.group(0);
                if (Double.parseDouble(m.group(1)) >= 1) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        fail("%s never showed an upload request in progress (last: %s)", replica, last);
    }

    /**
     * What the store holds under an upload's folder, whatever its layout: every blob (committed objects and
     * blobs that so far have only staged blocks) with its block counts, and the total of staged blocks.
     */
    record UploadInStore(int stagedBlocks, List<String> blobs) {
    }

    private static UploadInStore uploadInStore(String repository, String uuid) {
        String folder = StorePaths.upload(new RepositoryName(repository), uuid) + "/";
        int staged = 0;
        List<String> blobs = new ArrayList<>();
        for (BlobItem item : store.container().listBlobs(new ListBlobsOptions().setPrefix(folder)
                .setDetails(new BlobListDetails().setRetrieveUncommittedBlobs(true)), null)) {
            BlockList blocks = store.container().getBlobClient(item.getName()).getBlockBlobClient()
                    .listBlocks(BlockListType.ALL);
            staged += blocks.getUncommittedBlocks().size();
            blobs.add(item.getName().substring(folder.length()) + " (" + blocks.getCommittedBlocks().size()
                    + " committed, " + blocks.getUncommittedBlocks().size() + " staged blocks)");
        }
        return new UploadInStore(staged, blobs);
    }

    /**
     * Waits until the store holds more staged blocks under the upload's folder than {@code before}: a replica is
     * streaming a chunk into the store (the Azure store writes chunks as staged blocks, committed later).
     * Returns how many more.
     */
    private static int awaitMoreStagedBlocks(String repository, String uuid, UploadInStore before, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        UploadInStore now = before;
        while (System.nanoTime() < deadline) {
            now = uploadInStore(repository, uuid);
            if (now.stagedBlocks() > before.stagedBlocks()) {
                return now.stagedBlocks() - before.stagedBlocks();
            }
            Thread.sleep(100);
        }
        return fail("no new block was staged for the chunk in progress (before: %s; now: %s)", before, now);
    }

    /** A FROM-scratch image of {@code layers} COPY layers of a few MiB of random bytes each; returns its ID. */
    private static String buildImage(Path context, String tag, int layers) throws IOException {
        Files.createDirectories(context);
        Random random = new Random();
        StringBuilder dockerfile = new StringBuilder("FROM scratch\n");
        for (int i = 0; i < layers; i++) {
            byte[] data = new byte[2 * MIB + random.nextInt(2 * MIB)];
            random.nextBytes(data);
            Files.write(context.resolve("layer" + i + ".bin"), data);
            dockerfile.append("COPY layer").append(i).append(".bin /data/layer").append(i).append(".bin\n");
        }
        dockerfile.append("LABEL dev.berth.test=\"cluster-").append(random.nextLong()).append("\"\n");
        dockerfile.append("CMD [\"/data/layer0.bin\"]\n");
        Files.writeString(context.resolve("Dockerfile"), dockerfile.toString(), StandardCharsets.UTF_8);
        String output = Commands.docker(Duration.ofSeconds(120), "build", "--force-rm", "-q", "-t", tag, context.toString());
        String[] lines = output.split("\\R");
        return lines[lines.length - 1].trim();
    }

    /**
     * A range of a byte array as a stream that stops at {@code pauseAt}: it counts {@link #paused} down and
     * blocks until {@link #resume} is counted down, then goes on.
     */
    static final class PausingStream extends InputStream {

        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);
        private final byte[] data;
        private final int end;
        private final int pauseAt;
        private int position;

        PausingStream(byte[] data, int from, int to, int pauseAt) {
            this.data = data;
            this.position = from;
            this.end = to;
            this.pauseAt = pauseAt;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (position == pauseAt && paused.getCount() > 0) {
                paused.countDown();
                try {
                    if (!resume.await(120, TimeUnit.SECONDS)) {
                        throw new IOException("never resumed");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            if (position >= end) {
                return -1;
            }
            int limit = position < pauseAt ? pauseAt : end;
            int n = Math.min(length, limit - position);
            System.arraycopy(data, position, buffer, offset, n);
            position += n;
            return n;
        }
    }

    /** Adds the last lines of every replica's log to a failure, as a suppressed exception. */
    static final class ReplicaLogsOnFailure implements TestExecutionExceptionHandler,
            LifecycleMethodExecutionExceptionHandler {

        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
            throw withLogs(throwable);
        }

        @Override
        public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable)
                throws Throwable {
            throw withLogs(throwable);
        }

        private static Throwable withLogs(Throwable throwable) {
            String logs = replicas.stream().map(replica -> replica + "\n" + replica.errors(20) + "\n" + replica.tail(40))
                    .collect(Collectors.joining("\n"));
            throwable.addSuppressed(new AssertionError("replica logs:\n" + logs));
            System.out.println(logs);
            return throwable;
        }
    }
}
