package dev.berth.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.clients.Commands;
import dev.berth.support.Azurite;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Online garbage collection on three replicas over one store (Azurite, then a shared store folder), behind a
 * round-robin nginx, while four clients push images that share layers the way docker does (a blob the
 * repository already has is not uploaded again), delete manifests, tag old ones again and push indexes. Two
 * loops trigger collections on random replicas all along, with a grace time of seconds, and once the replica
 * in the middle of a collection (markers written, its trigger unanswered) is killed with SIGKILL and started
 * again. At the end every manifest that was accepted and not deleted resolves, every blob it references reads
 * back with its digest, and a collection of the quiet store leaves exactly the referenced blobs and no marker.
 */
@Timeout(300)
class GcTortureTest {

    static final Duration LOAD = Duration.ofSeconds(20);
    static final int CLIENTS = 4;
    static final Duration GRACE = Duration.ofSeconds(2);
    static final String[] GC = {
            "--berth.gc.grace=" + GRACE.toSeconds() + "s",
            "--berth.gc.settle=1s",
            "--berth.gc.lock-timeout=6s",
    };

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path work;

    /** Every replica started, the killed one too, stopped at the end. */
    final List<BerthProcess> started = new CopyOnWriteArrayList<>();

    @Test
    void onAzurite() throws Exception {
        String container = "gctorture-" + Commands.randomSuffix();
        torture("Azurite", StoreContents.onAzurite(container), name -> BerthProcess.startOnAzure(name,
                Azurite.get().getConnectionString(), container, GC));
    }

    @Test
    void onASharedStoreFolder() throws Exception {
        Path root = work.resolve("store");
        List<String> args = new ArrayList<>(List.of("--berth.storage.backend=filesystem",
                "--berth.storage.filesystem.root=" + root));
        args.addAll(List.of(GC));
        torture("a shared folder", StoreContents.inFolder(root),
                name -> BerthProcess.start(name, List.of("-Xmx512m"), null, args.toArray(String[]::new)));
    }

    /** Collections' outcomes, summed over every trigger. */
    static final class Runs {
        final AtomicInteger ran = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger unanswered = new AtomicInteger();
        final AtomicInteger ranAfterKill = new AtomicInteger();
        final AtomicInteger deleted = new AtomicInteger();
        final AtomicInteger rescued = new AtomicInteger();
        final AtomicInteger candidates = new AtomicInteger();
        final AtomicLong longestMillis = new AtomicLong();
        final Queue<String> failures = new ConcurrentLinkedQueue<>();

        @Override
        public String toString() {
            return ran + " ran (" + ranAfterKill + " after the kill, longest " + longestMillis + " ms), " + skipped
                    + " skipped (lease held), " + failed + " failed, " + unanswered + " unanswered (killed); "
                    + candidates + " candidates, " + deleted + " blobs deleted, " + rescued + " rescued";
        }
    }

    /** The replica killed mid-collection: when, and what the store showed just before. */
    record Kill(BerthProcess victim, long atNanos, Set<String> markers, String lease) {
    }

    private void torture(String where, StoreContents store, Function<String, BerthProcess> start) throws Exception {
        long begun = System.nanoTime();
        AtomicReferenceArray<BerthProcess> replicas = new AtomicReferenceArray<>(startAll(start).toArray(BerthProcess[]::new));
        long ready = System.nanoTime();
        List<String> upstreams = List.of(replicas.get(0).hostAndPort(), replicas.get(1).hostAndPort(),
                replicas.get(2).hostAndPort());
        Queue<String> anomalies = new ConcurrentLinkedQueue<>();
        GcTortureClient.Counts counts = new GcTortureClient.Counts();
        Runs runs = new Runs();
        Map<BerthProcess, Long> triggered = new ConcurrentHashMap<>();
        Map<String, BerthProcess> holders = new ConcurrentHashMap<>();
        AtomicReference<Kill> kill = new AtomicReference<>();
        ExecutorService threads = Executors.newCachedThreadPool();
        try (NginxProcess nginx = NginxProcess.roundRobin(work, upstreams)) {
            URI registry = URI.create("http://" + nginx.hostAndPort() + "/");
            List<GcTortureClient.Blob> pool = layerPool();
            Map<String, String> storedIn = new ConcurrentHashMap<>();
            List<GcTortureClient> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(new GcTortureClient(c, registry, 100 + c, pool, storedIn, counts, anomalies));
            }
            AtomicBoolean loading = new AtomicBoolean(true);
            AtomicBoolean collecting = new AtomicBoolean(true);
            List<Future<?>> load = new ArrayList<>();
            for (GcTortureClient client : clients) {
                load.add(threads.submit(() -> {
                    while (loading.get()) {
                        client.step();
                    }
                    return null;
                }));
            }
            List<Future<?>> triggers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                triggers.add(threads.submit(() -> {
                    while (collecting.get()) {
                        BerthProcess replica = replicas.get(ThreadLocalRandom.current().nextInt(3));
                        if (replica.isAlive()) {
                            collect(replica, store, triggered, holders, runs, kill);
                        }
                        Thread.sleep(100 + ThreadLocalRandom.current().nextInt(400));
                    }
                    return null;
                }));
            }
            Future<?> killer = threads.submit(() -> {
                killMidCollection(store, replicas, triggered, holders, runs, kill);
                return null;
            });
            try {
                // The load goes on until a run after the kill has finished, the recovery happening under load too.
                long end = System.nanoTime() + LOAD.toNanos();
                long latest = end + LOAD.toNanos() * 3;
                while (System.nanoTime() < end || (!killer.isDone() || runs.ranAfterKill.get() == 0)
                        && System.nanoTime() < latest) {
                    Thread.sleep(200);
                }
            } finally {
                loading.set(false);
            }
            for (Future<?> client : load) {
                client.get();
            }
            killer.get();
            collecting.set(false);
            for (Future<?> trigger : triggers) {
                trigger.get();
            }
            long loaded = System.nanoTime();

            // The store is quiet: every blob is older than the grace time once it has passed.
            Thread.sleep(GRACE.plusMillis(500).toMillis());
            JsonNode last = collectUntilRan(replicas.get(0));
            Set<String> stored = store.blobs();
            Set<String> markers = store.markers();

            List<GcTortureClient.Pushed> surviving = clients.stream().flatMap(c -> c.pushed().stream()).toList();
            // The figures first: a failed check below still shows what led to it.
            System.out.printf("GC torture on %s: replicas ready in %d ms, load %d s, %d clients%n"
                            + "  clients: %s%n  collections: %s%n  killed mid-collection: %s with %d markers"
                            + " in the store, lease %s%n  final collection: %s%n  %d manifests survive, %d blobs"
                            + " stored; load and final collection took %d ms%n",
                    where, (ready - begun) / 1_000_000, LOAD.toSeconds(), CLIENTS, counts, runs,
                    kill.get() == null ? "nobody" : kill.get().victim(),
                    kill.get() == null ? 0 : kill.get().markers().size(), kill.get() == null ? "-" : kill.get().lease(),
                    last, surviving.size(), stored.size(), (System.nanoTime() - ready) / 1_000_000);
            Set<String> referenced = new TreeSet<>();
            int blobsRead = 0;
            for (GcTortureClient.Pushed manifest : surviving) {
                referenced.add(manifest.digest());
                referenced.addAll(manifest.references());
                for (String reference : manifest.tags().isEmpty() ? List.of(manifest.digest()) : manifest.tags()) {
                    HttpResponse<byte[]> read = Http.send("GET", registry.resolve("/v2/" + manifest.repository()
                            + "/manifests/" + reference), null, "Accept", GcTortureClient.ACCEPT);
                    assertThat(read.statusCode()).as("GET %s:%s", manifest.repository(), reference).isEqualTo(200);
                    assertThat(Sha256.digest(read.body())).as("%s:%s", manifest.repository(), reference)
                            .isEqualTo(manifest.digest());
                }
                if (manifest.mediaType().equals(GcTortureClient.OCI_MANIFEST)) {
                    for (String blob : manifest.references()) {
                        HttpResponse<byte[]> read = Http.send("GET", registry.resolve("/v2/" + manifest.repository()
                                + "/blobs/" + blob), null);
                        assertThat(read.statusCode()).as("GET blob %s of %s in %s", blob, manifest.digest(),
                                manifest.repository()).isEqualTo(200);
                        assertThat(Sha256.digest(read.body())).as("bytes of %s", blob).isEqualTo(blob);
                        blobsRead++;
                    }
                }
            }
            long checked = System.nanoTime();

            System.out.printf("  %d blobs read back with their digests, %d referenced; checks took %d ms; total %d ms%n",
                    blobsRead, referenced.size(), (checked - loaded) / 1_000_000, (checked - begun) / 1_000_000);

            assertThat(anomalies).as("answers no client should get").isEmpty();
            assertThat(runs.failures).as("collections that failed").isEmpty();
            assertThat(kill.get()).as("a replica killed in the middle of a collection").isNotNull();
            assertThat(runs.unanswered.get()).as("triggers left unanswered by kills").isPositive();
            assertThat(runs.ranAfterKill.get()).as("collections that ran after the kill").isPositive();
            assertThat(runs.deleted.get()).as("blobs the collections deleted under load").isPositive();
            assertThat(stored).as("blobs stored after a collection of the quiet store: exactly those referenced")
                    .isEqualTo(referenced);
            assertThat(markers).as("markers left after a collection of the quiet store").isEmpty();
        } catch (Throwable failure) {
            for (BerthProcess replica : started) {
                failure.addSuppressed(new AssertionError(replica + "\n" + replica.errors(30) + "\n" + replica.tail(30)));
            }
            throw failure;
        } finally {
            threads.shutdownNow();
            started.parallelStream().forEach(BerthProcess::close);
        }
    }

    private List<BerthProcess> startAll(Function<String, BerthProcess> start) throws Exception {
        ExecutorService starting = Executors.newFixedThreadPool(3);
        try {
            List<Future<BerthProcess>> replicas = new ArrayList<>();
            for (String name : List.of("A", "B", "C")) {
                replicas.add(starting.submit(() -> {
                    BerthProcess replica = start.apply(name);
                    started.add(replica);
                    return replica;
                }));
            }
            List<BerthProcess> ready = new ArrayList<>();
            for (Future<BerthProcess> replica : replicas) {
                ready.add(replica.get());
            }
            return ready;
        } finally {
            starting.shutdown();
        }
    }

    /** Six small layers every client draws from, so that images share them. */
    private static List<GcTortureClient.Blob> layerPool() {
        Random random = new Random(42);
        List<GcTortureClient.Blob> pool = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] layer = new byte[1024 + random.nextInt(6 * 1024)];
            random.nextBytes(layer);
            pool.add(GcTortureClient.Blob.of(layer));
        }
        return pool;
    }

    /** One trigger, its answer added to {@code runs}; the request is known as in flight while it lasts. */
    private static void collect(BerthProcess replica, StoreContents store, Map<BerthProcess, Long> triggered,
            Map<String, BerthProcess> holders, Runs runs, AtomicReference<Kill> kill) {
        long sent = System.nanoTime();
        triggered.put(replica, sent);
        try {
            HttpResponse<String> answer = Http.sendText("POST", replica.managementUri("/actuator/garbagecollect"), null);
            if (answer.statusCode() != 200) {
                runs.failed.incrementAndGet();
                runs.failures.add(replica + " answered " + answer.statusCode() + ": " + answer.body());
                return;
            }
            JsonNode report = JSON.readTree(answer.body());
            if (!report.path("ran").asBoolean()) {
                runs.skipped.incrementAndGet();
                return;
            }
            runs.ran.incrementAndGet();
            // A lease released (lapsed at the epoch) and not taken since names this replica's collector.
            store.lease().map(GcTortureTest::lease).filter(lease -> lease.path("expiresAt").asString()
                    .startsWith("1970-01-01")).ifPresent(lease -> holders.put(lease.path("owner").asString(), replica));
            if (kill.get() != null && sent > kill.get().atNanos()) {
                runs.ranAfterKill.incrementAndGet();
            }
            runs.deleted.addAndGet(report.path("deleted").asInt());
            runs.rescued.addAndGet(report.path("rescued").asInt());
            runs.candidates.addAndGet(report.path("candidates").asInt());
            runs.longestMillis.accumulateAndGet((System.nanoTime() - sent) / 1_000_000, Math::max);
        } catch (UncheckedIOException unanswered) {
            runs.unanswered.incrementAndGet();
        } finally {
            triggered.remove(replica, sent);
        }
    }

    /**
     * Waits until a collection has written its markers and kills the replica running it: the lease names its
     * collector (learnt from the leases replicas released), and its trigger is still waiting for the report.
     * Starts it again on the same ports, behind the same nginx. Should the run have ended between the look
     * and the kill (its trigger answered), tries again with another run.
     */
    private void killMidCollection(StoreContents store, AtomicReferenceArray<BerthProcess> replicas,
            Map<BerthProcess, Long> triggered, Map<String, BerthProcess> holders, Runs runs,
            AtomicReference<Kill> kill) throws InterruptedException {
        Thread.sleep(LOAD.toMillis() / 4);
        long deadline = System.nanoTime() + LOAD.toNanos() * 2;
        while (System.nanoTime() < deadline) {
            Set<String> markers = store.markers();
            Optional<JsonNode> lease = store.lease().map(GcTortureTest::lease);
            BerthProcess holder = lease.map(l -> holders.get(l.path("owner").asString())).orElse(null);
            if (markers.isEmpty() || holder == null || !holder.isAlive() || !triggered.containsKey(holder)
                    || Instant.parse(lease.get().path("expiresAt").asString()).isBefore(Instant.now())) {
                Thread.sleep(20);
                continue;
            }
            int unanswered = runs.unanswered.get();
            holder.kill();
            long killedAt = System.nanoTime();
            while (triggered.containsKey(holder)) {
                Thread.sleep(10);
            }
            boolean midRun = runs.unanswered.get() > unanswered;
            if (midRun) {
                kill.set(new Kill(holder, killedAt, markers, lease.get().toString()));
            }
            for (int i = 0; i < 3; i++) {
                if (replicas.get(i) == holder) {
                    BerthProcess replacement = holder.replacement();
                    started.add(replacement);
                    replicas.set(i, replacement);
                }
            }
            if (midRun) {
                return;
            }
        }
    }

    private static JsonNode lease(String stored) {
        return JSON.readTree(stored);
    }

    /** Triggers on {@code replica} until a run is carried out (a dead holder's lease lapses in seconds). */
    private static JsonNode collectUntilRan(BerthProcess replica) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<String> answer = Http.sendText("POST", replica.managementUri("/actuator/garbagecollect"), null);
            assertThat(answer.statusCode()).as("final collection: %s", answer.body()).isEqualTo(200);
            JsonNode report = JSON.readTree(answer.body());
            if (report.path("ran").asBoolean()) {
                return report;
            }
            assertThat(System.nanoTime()).as("the final collection got the lease within 60 s").isLessThan(deadline);
            Thread.sleep(500);
        }
    }
}
