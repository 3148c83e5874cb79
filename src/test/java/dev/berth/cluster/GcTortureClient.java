package dev.berth.cluster;

import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client of {@link GcTortureTest}, pushing through the load balancer the way docker does while the
 * garbage collector runs: for each blob it first asks whether the repository has it ({@code HEAD}) and skips
 * the upload when it does, which is what a collection running meanwhile must not break; otherwise it mounts
 * it from another repository or uploads it, in one request or in chunks. It also deletes manifests, tags
 * old ones again and pushes indexes of manifests it pushed by digest first. It remembers every manifest that
 * was accepted and not deleted since, to be checked at the end.
 */
final class GcTortureClient {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String ACCEPT = OCI_MANIFEST + ", " + OCI_INDEX;
    static final List<String> REPOSITORIES = List.of("torture/app0", "torture/app1", "torture/app2", "torture/app3");
    /** How long a request is repeated while replicas die or the store is busy, before the test gives up. */
    private static final long RETRY_NANOS = 90_000_000_000L;

    /** A blob and its digest. */
    record Blob(String digest, byte[] bytes) {
        static Blob of(byte[] bytes) {
            return new Blob(Sha256.digest(bytes), bytes);
        }
    }

    /**
     * A manifest the registry accepted (201) and the client has not deleted: under which tags (none: pushed by
     * digest, as an index's child), and the blobs (config, layers) or child manifests it references.
     */
    record Pushed(String repository, String digest, String mediaType, byte[] manifest, List<String> references,
            Set<String> tags, boolean child) {
    }

    /** What all clients did, for the test's summary. */
    static final class Counts {
        final AtomicInteger images = new AtomicInteger();
        final AtomicInteger indexes = new AtomicInteger();
        final AtomicInteger deletes = new AtomicInteger();
        final AtomicInteger retags = new AtomicInteger();
        final AtomicInteger skippedUploads = new AtomicInteger();
        final AtomicInteger mounts = new AtomicInteger();
        final AtomicInteger monolithic = new AtomicInteger();
        final AtomicInteger chunked = new AtomicInteger();
        final AtomicInteger refusals = new AtomicInteger();
        final AtomicInteger brokenRequests = new AtomicInteger();
        final AtomicInteger restartedUploads = new AtomicInteger();

        @Override
        public String toString() {
            return images + " images and " + indexes + " indexes pushed, " + deletes + " manifests deleted, "
                    + retags + " re-tags; blobs: " + skippedUploads + " uploads skipped after HEAD, " + mounts
                    + " mounted, " + monolithic + " monolithic and " + chunked + " chunked uploads, "
                    + restartedUploads + " uploads started over; " + refusals
                    + " manifest pushes refused MANIFEST_BLOB_UNKNOWN and retried; " + brokenRequests
                    + " requests repeated after no answer or 502/503";
        }
    }

    private final int id;
    private final URI registry;
    private final Random random;
    private final List<Blob> pool;
    /** The last repository each pool layer was stored in, shared by the clients: where to mount it from. */
    private final Map<String, String> storedIn;
    private final Counts counts;
    /** Answers no client should ever get (500s, refusals of manifests whose blobs are live), shared. */
    private final Queue<String> anomalies;
    private final List<Pushed> pushed = new ArrayList<>();
    private int serial;

    GcTortureClient(int id, URI registry, long seed, List<Blob> pool, Map<String, String> storedIn, Counts counts,
            Queue<String> anomalies) {
        this.id = id;
        this.registry = registry;
        this.random = new Random(seed);
        this.pool = pool;
        this.storedIn = storedIn;
        this.counts = counts;
        this.anomalies = anomalies;
    }

    /** The manifests this client pushed and did not delete. */
    List<Pushed> pushed() {
        return pushed;
    }

    /** One random operation: push an image, push an index, delete a manifest or tag one again. */
    void step() throws InterruptedException {
        List<Pushed> own = pushed.stream().filter(p -> !p.child()).toList();
        double dice = random.nextDouble();
        if (own.isEmpty() || dice < 0.45) {
            pushImage(repository(), "c" + id + "-" + serial++, false);
        } else if (dice < 0.6) {
            pushIndex(repository());
        } else if (dice < 0.8) {
            delete(own.get(random.nextInt(own.size())));
        } else {
            retag(own.get(random.nextInt(own.size())));
        }
    }

    private String repository() {
        return REPOSITORIES.get(random.nextInt(REPOSITORIES.size()));
    }

    /** Config, two or three layers of the shared pool, sometimes a layer of its own; by tag, or by digest. */
    private Pushed pushImage(String repository, String tag, boolean child) throws InterruptedException {
        List<Blob> blobs = new ArrayList<>();
        blobs.add(Blob.of(("{\"architecture\":\"amd64\",\"os\":\"linux\",\"client\":" + id + ",\"serial\":" + serial++
                + ",\"nonce\":" + random.nextLong() + "}").getBytes(StandardCharsets.UTF_8)));
        List<Blob> shuffled = new ArrayList<>(pool);
        Collections.shuffle(shuffled, random);
        blobs.addAll(shuffled.subList(0, 2 + random.nextInt(2)));
        if (random.nextInt(3) == 0) {
            byte[] fresh = new byte[1024 + random.nextInt(12 * 1024)];
            random.nextBytes(fresh);
            blobs.add(Blob.of(fresh));
        }
        StringBuilder layers = new StringBuilder();
        for (Blob layer : blobs.subList(1, blobs.size())) {
            layers.append(layers.isEmpty() ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                    + "\"digest\":\"").append(layer.digest()).append("\",\"size\":").append(layer.bytes().length).append('}');
        }
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + blobs.get(0).digest() + "\",\"size\":"
                + blobs.get(0).bytes().length + "},\"layers\":[" + layers + "]}").getBytes(StandardCharsets.UTF_8);
        String digest = Sha256.digest(manifest);
        for (Blob blob : blobs) {
            ensure(repository, blob, true);
        }
        for (int attempt = 1; ; attempt++) {
            HttpResponse<String> answer = send("PUT", "/v2/" + repository + "/manifests/"
                    + (tag == null ? digest : tag), manifest, "Content-Type", OCI_MANIFEST);
            if (answer.statusCode() == 201) {
                break;
            }
            if (answer.statusCode() != 404 || !answer.body().contains("MANIFEST_BLOB_UNKNOWN") || attempt > 5) {
                throw new AssertionError("PUT manifest " + digest + " in " + repository + " answered "
                        + answer.statusCode() + " (attempt " + attempt + "): " + answer.body());
            }
            // A blob the collector deleted after our HEAD: push it again, as docker does.
            counts.refusals.incrementAndGet();
            for (Blob blob : blobs) {
                ensure(repository, blob, false);
            }
        }
        counts.images.incrementAndGet();
        Pushed image = new Pushed(repository, digest, OCI_MANIFEST, manifest,
                blobs.stream().map(Blob::digest).toList(), new LinkedHashSet<>(), child);
        if (tag != null) {
            image.tags().add(tag);
        }
        pushed.add(image);
        return image;
    }

    /** Two images pushed by digest, then an index of them under a tag. */
    private void pushIndex(String repository) throws InterruptedException {
        Pushed amd64 = pushImage(repository, null, true);
        Pushed arm64 = pushImage(repository, null, true);
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":["
                + child(amd64, "amd64") + "," + child(arm64, "arm64") + "]}").getBytes(StandardCharsets.UTF_8);
        String tag = "c" + id + "-" + serial++;
        HttpResponse<String> answer = send("PUT", "/v2/" + repository + "/manifests/" + tag, index,
                "Content-Type", OCI_INDEX);
        if (answer.statusCode() != 201) {
            // Its children are manifests in the repository: nothing of theirs may be collected.
            anomalies.add("PUT index " + tag + " in " + repository + " answered " + answer.statusCode() + ": " + answer.body());
            return;
        }
        counts.indexes.incrementAndGet();
        pushed.add(new Pushed(repository, Sha256.digest(index), OCI_INDEX, index, List.of(amd64.digest(), arm64.digest()),
                new LinkedHashSet<>(Set.of(tag)), false));
    }

    private static String child(Pushed image, String architecture) {
        return "{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"" + image.digest() + "\",\"size\":"
                + image.manifest().length + ",\"platform\":{\"architecture\":\"" + architecture + "\",\"os\":\"linux\"}}";
    }

    /** Deletes the manifest by digest (and so all its tags). Its children, if an index, stay. */
    private void delete(Pushed manifest) throws InterruptedException {
        HttpResponse<String> answer = send("DELETE", "/v2/" + manifest.repository() + "/manifests/"
                + manifest.digest(), null);
        // 404 only when our first DELETE was carried out but its answer lost (a replica killed meanwhile).
        if (answer.statusCode() != 202 && answer.statusCode() != 404) {
            anomalies.add("DELETE " + manifest.digest() + " in " + manifest.repository() + " answered "
                    + answer.statusCode() + ": " + answer.body());
            return;
        }
        pushed.remove(manifest);
        counts.deletes.incrementAndGet();
    }

    /** The same manifest under one more tag: its blobs are live, so this is never refused. */
    private void retag(Pushed manifest) throws InterruptedException {
        String tag = "c" + id + "-" + serial++;
        HttpResponse<String> answer = send("PUT", "/v2/" + manifest.repository() + "/manifests/" + tag,
                manifest.manifest(), "Content-Type", manifest.mediaType());
        if (answer.statusCode() != 201) {
            anomalies.add("re-tag of " + manifest.digest() + " in " + manifest.repository() + " as " + tag
                    + " answered " + answer.statusCode() + ": " + answer.body());
            return;
        }
        manifest.tags().add(tag);
        counts.retags.incrementAndGet();
    }

    /**
     * Makes sure the repository has the blob: {@code HEAD} first (when {@code askFirst}) and done if it is
     * there; else a mount from where another push stored it, or an upload. An upload broken by a dying
     * replica starts over.
     */
    private void ensure(String repository, Blob blob, boolean askFirst) throws InterruptedException {
        String path = "/v2/" + repository + "/blobs/" + blob.digest();
        if (askFirst && send("HEAD", path, null).statusCode() == 200) {
            counts.skippedUploads.incrementAndGet();
            return;
        }
        for (int attempt = 1; ; attempt++) {
            if (attempt > 10) {
                throw new AssertionError("upload of " + blob.digest() + " to " + repository + " failed 10 times");
            }
            try {
                if (upload(repository, blob)) {
                    if (pool.contains(blob)) {
                        storedIn.put(blob.digest(), repository);
                    }
                    return;
                }
            } catch (UncheckedIOException broken) {
                counts.brokenRequests.incrementAndGet();
            }
            counts.restartedUploads.incrementAndGet();
            Thread.sleep(200 + random.nextInt(300));
        }
    }

    /** One upload attempt; false when a step got a 5xx (a replica died under it, or the blob is being deleted). */
    private boolean upload(String repository, Blob blob) {
        String uploads = "/v2/" + repository + "/blobs/uploads/";
        String source = storedIn.get(blob.digest());
        String location;
        if (source != null && !source.equals(repository) && random.nextInt(3) == 0) {
            HttpResponse<String> mounted = once("POST", uploads + "?mount=" + blob.digest() + "&from=" + source, null);
            if (mounted.statusCode() == 201) {
                counts.mounts.incrementAndGet();
                return true;
            }
            if (mounted.statusCode() != 202) {
                return failed("mount POST", mounted);
            }
            location = mounted.headers().firstValue("Location").orElseThrow();
        } else if (random.nextBoolean()) {
            HttpResponse<String> stored = once("POST", uploads + "?digest=" + blob.digest(), blob.bytes(),
                    "Content-Type", "application/octet-stream");
            if (stored.statusCode() == 201) {
                counts.monolithic.incrementAndGet();
                return true;
            }
            return failed("monolithic POST", stored);
        } else {
            HttpResponse<String> started = once("POST", uploads, null);
            if (started.statusCode() != 202) {
                return failed("upload POST", started);
            }
            location = started.headers().firstValue("Location").orElseThrow();
            int offset = 0;
            while (offset < blob.bytes().length) {
                int end = Math.min(blob.bytes().length, offset + 512 + random.nextInt(blob.bytes().length));
                HttpResponse<String> patched = once("PATCH", location, Arrays.copyOfRange(blob.bytes(), offset, end),
                        "Content-Type", "application/octet-stream", "Content-Range", offset + "-" + (end - 1));
                if (patched.statusCode() != 202) {
                    return failed("PATCH", patched);
                }
                location = patched.headers().firstValue("Location").orElse(location);
                offset = end;
            }
            HttpResponse<String> committed = once("PUT", location + (location.contains("?") ? "&" : "?")
                    + "digest=" + blob.digest(), null);
            if (committed.statusCode() == 201) {
                counts.chunked.incrementAndGet();
                return true;
            }
            return failed("commit PUT", committed);
        }
        // A mount the registry declined: the upload it started instead, in one PUT.
        HttpResponse<String> committed = once("PUT", location + (location.contains("?") ? "&" : "?") + "digest="
                + blob.digest(), blob.bytes(), "Content-Type", "application/octet-stream");
        if (committed.statusCode() == 201) {
            counts.monolithic.incrementAndGet();
            return true;
        }
        return failed("PUT after a declined mount", committed);
    }

    /** A 5xx starts the upload over (noted when it is a 500); anything else is a failure of the test. */
    private boolean failed(String step, HttpResponse<String> answer) {
        if (answer.statusCode() == 500) {
            anomalies.add(step + " answered 500: " + answer.body());
        }
        if (answer.statusCode() >= 500) {
            counts.brokenRequests.incrementAndGet();
            return false;
        }
        throw new AssertionError(step + " answered " + answer.statusCode() + ": " + answer.body());
    }

    private HttpResponse<String> once(String method, String pathOrUrl, byte[] body, String... headers) {
        return Http.sendText(method, registry.resolve(pathOrUrl), body, headers);
    }

    /**
     * The request, repeated while it gets no answer or a 502/503/504 (a replica killed under it, or a blob the
     * collector is deleting): for requests that may be repeated (HEAD, PUT of a manifest, DELETE).
     */
    HttpResponse<String> send(String method, String path, byte[] body, String... headers) throws InterruptedException {
        long deadline = System.nanoTime() + RETRY_NANOS;
        while (true) {
            String why;
            try {
                HttpResponse<String> answer = Http.sendText(method, registry.resolve(path), body, headers);
                if (answer.statusCode() < 502 || answer.statusCode() > 504) {
                    if (answer.statusCode() == 500) {
                        anomalies.add(method + " " + path + " answered 500: " + answer.body());
                    }
                    return answer;
                }
                why = answer.statusCode() + " " + answer.body();
            } catch (UncheckedIOException broken) {
                why = broken.getMessage();
            }
            counts.brokenRequests.incrementAndGet();
            if (System.nanoTime() > deadline) {
                throw new AssertionError(method + " " + path + " kept failing: " + why);
            }
            Thread.sleep(200 + random.nextInt(300));
        }
    }
}
