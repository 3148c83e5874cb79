import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;

/**
 * Writes the store of bench/run's garbage collection section straight into Distribution's layout, on a
 * filesystem root or into an Azure Blob Storage container (Azurite), without going through HTTP:
 * {@code repositories} repositories with one tagged OCI manifest each, referencing its own config, two
 * layers of a shared pool (a tenth as many as repositories) and its own layers, plus unreferenced blobs (a
 * fifth of all) that a collection must delete; half of those are still linked in a repository's
 * {@code _layers}, as after a manifest's deletion. {@code blobs} blobs in all; each holds a few bytes, since
 * what the section measures is the count of objects. On the filesystem every file's time is two hours back,
 * older than any grace time the bench sets. Prints the unreferenced blobs' digests, sorted, to
 * {@code garbage-list}.
 *
 * <p>Run with Berth's libraries on the class path (the Azure SDK):
 * {@code java -cp 'lib/*' bench/GcStore.java fs ROOT BLOBS REPOSITORIES GARBAGE-LIST} or
 * {@code ... azure CONNECTION-STRING CONTAINER BLOBS REPOSITORIES GARBAGE-LIST}; and
 * {@code ... azure-blobs CONNECTION-STRING CONTAINER BLOB-LIST} lists the blobs a container holds, to see
 * which a collection deleted.
 *
 * <p>The web UI section's store: {@code ... ui ROOT REPOSITORIES TAGS} (or {@code ... ui-azure CONNECTION-STRING
 * CONTAINER REPOSITORIES TAGS}) writes {@code REPOSITORIES} repositories named {@code team-NNN/service-NN} (a
 * hundred services a team, so a service number matches one name in a hundred), each with one small image
 * tagged {@code latest}, and the repository {@code tagged/app} with {@code TAGS} tags {@code vNNNNN}, each
 * naming an image of its own (a small config with history, one layer).
 */
public final class GcStore {

    private static final String ROOT = "docker/registry/v2";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    private static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";

    /** One object of the layout. */
    record Entry(String path, byte[] content) {
    }

    /** A blob: its bytes and their digest's hex. */
    record Blob(byte[] content, String hex) {

        static Blob of(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            return new Blob(bytes, sha256(bytes));
        }

        String descriptor(String mediaType) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"sha256:" + hex + "\",\"size\":" + content.length + "}";
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "";
        if (mode.equals("azure-blobs") && args.length == 4) {
            listAzureBlobs(args[1], args[2], Path.of(args[3]));
            return;
        }
        if ((mode.equals("ui") && args.length == 4) || (mode.equals("ui-azure") && args.length == 5)) {
            int first = mode.equals("ui") ? 2 : 3;
            int repositories = Integer.parseInt(args[first]);
            int tags = Integer.parseInt(args[first + 1]);
            List<Entry> entries = new ArrayList<>();
            uiLayout(repositories, tags, entries);
            long started = System.nanoTime();
            if (mode.equals("ui")) {
                writeFilesystem(Path.of(args[1]), entries);
            } else {
                writeAzure(args[1], args[2], entries);
            }
            System.err.printf("[ui-store] %d objects (%d repositories, one of %d tags) written in %.1f s%n",
                    entries.size(), repositories + 1, tags, (System.nanoTime() - started) / 1e9);
            return;
        }
        boolean azure = mode.equals("azure");
        if (args.length != (azure ? 6 : 5) || !(azure || mode.equals("fs"))) {
            System.err.println("usage: GcStore fs ROOT BLOBS REPOSITORIES GARBAGE-LIST"
                    + " | GcStore azure CONNECTION-STRING CONTAINER BLOBS REPOSITORIES GARBAGE-LIST"
                    + " | GcStore azure-blobs CONNECTION-STRING CONTAINER BLOB-LIST"
                    + " | GcStore ui ROOT REPOSITORIES TAGS | GcStore ui-azure CONNECTION-STRING CONTAINER REPOSITORIES TAGS");
            System.exit(2);
        }
        int first = azure ? 3 : 2;
        int blobs = Integer.parseInt(args[first]);
        int repositories = Integer.parseInt(args[first + 1]);
        Path garbageList = Path.of(args[first + 2]);
        List<Entry> entries = new ArrayList<>();
        List<String> garbage = layout(blobs, repositories, entries);
        long started = System.nanoTime();
        if (azure) {
            writeAzure(args[1], args[2], entries);
        } else {
            writeFilesystem(Path.of(args[1]), entries);
        }
        Files.write(garbageList, garbage.stream().sorted().toList());
        System.err.printf("[gc-store] %d objects (%d blobs, %d of them unreferenced, in %d repositories) written in %.1f s%n",
                entries.size(), blobs, garbage.size(), repositories, (System.nanoTime() - started) / 1e9);
    }

    /** Fills {@code entries} with the store's objects; returns the unreferenced blobs' digests. */
    static List<String> layout(int blobs, int repositories, List<Entry> entries) {
        int unreferenced = blobs / 5;
        int shared = Math.max(1, repositories / 10);
        int own = blobs - unreferenced - shared - 2 * repositories;
        if (repositories < 1 || own < 0) {
            throw new IllegalArgumentException(blobs + " blobs are too few for " + repositories
                    + " repositories (each needs a manifest and a config, and a tenth as many shared layers)");
        }
        List<Blob> pool = new ArrayList<>();
        for (int s = 0; s < shared; s++) {
            Blob layer = Blob.of("shared-layer-" + s);
            pool.add(layer);
            entries.add(blobData(layer));
        }
        int next = 0;
        for (int r = 0; r < repositories; r++) {
            String repository = ROOT + "/repositories/gc/repo-" + String.format("%06d", r);
            List<Blob> layers = new ArrayList<>();
            layers.add(pool.get(r % shared));
            if (shared > 1) {
                layers.add(pool.get((r + shared / 2) % shared));
            }
            int ownHere = own / repositories + (r < own % repositories ? 1 : 0);
            for (int l = 0; l < ownHere; l++) {
                Blob layer = Blob.of("layer-" + next++);
                layers.add(layer);
                entries.add(blobData(layer));
            }
            Blob config = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\",\"repository\":" + r + "}");
            entries.add(blobData(config));
            StringBuilder manifestJson = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                    + "\",\"config\":" + config.descriptor(OCI_CONFIG) + ",\"layers\":[");
            for (int l = 0; l < layers.size(); l++) {
                manifestJson.append(l == 0 ? "" : ",").append(layers.get(l).descriptor(OCI_LAYER));
            }
            Blob manifest = Blob.of(manifestJson.append("]}").toString());
            entries.add(blobData(manifest));
            entries.add(link(repository + "/_manifests/revisions/sha256/" + manifest.hex() + "/link", manifest));
            entries.add(link(repository + "/_manifests/tags/latest/current/link", manifest));
            entries.add(link(repository + "/_manifests/tags/latest/index/sha256/" + manifest.hex() + "/link", manifest));
            entries.add(link(repository + "/_layers/sha256/" + config.hex() + "/link", config));
            for (Blob layer : layers) {
                entries.add(link(repository + "/_layers/sha256/" + layer.hex() + "/link", layer));
            }
        }
        List<String> garbage = new ArrayList<>();
        for (int g = 0; g < unreferenced; g++) {
            Blob blob = Blob.of("unreferenced-" + g);
            entries.add(blobData(blob));
            garbage.add("sha256:" + blob.hex());
            if (g % 2 == 0) {
                String repository = ROOT + "/repositories/gc/repo-" + String.format("%06d", g % repositories);
                entries.add(link(repository + "/_layers/sha256/" + blob.hex() + "/link", blob));
            }
        }
        return garbage;
    }

    /** Fills {@code entries} with the web UI section's store (see the class comment). */
    static void uiLayout(int repositories, int tags, List<Entry> entries) {
        Blob layer = Blob.of("ui-shared-layer");
        entries.add(blobData(layer));
        for (int r = 0; r < repositories; r++) {
            String name = String.format("team-%03d/service-%02d", r / 100, r % 100);
            uiImage(ROOT + "/repositories/" + name, List.of("latest"), "repository " + name, layer, entries);
        }
        for (int t = 0; t < tags; t++) {
            String tag = String.format("v%05d", t);
            uiImage(ROOT + "/repositories/tagged/app", List.of(tag), "tag " + tag, layer, entries);
        }
    }

    /** One image (a config of its own, the shared layer) in {@code repository}, tagged with {@code tags}. */
    private static void uiImage(String repository, List<String> tags, String what, Blob layer, List<Entry> entries) {
        Blob config = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-11-30T12:00:00Z\","
                + "\"config\":{\"Env\":[\"PATH=/usr/local/bin:/usr/bin:/bin\"],\"Cmd\":[\"/app\"],"
                + "\"Labels\":{\"org.opencontainers.image.title\":\"" + what + "\"}},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + layer.hex() + "\"]},"
                + "\"history\":[{\"created\":\"2026-11-30T12:00:00Z\",\"created_by\":\"COPY app /app\"}]}");
        entries.add(blobData(config));
        Blob manifest = Blob.of("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + config.descriptor(OCI_CONFIG) + ",\"layers\":[" + layer.descriptor(OCI_LAYER) + "]}");
        entries.add(blobData(manifest));
        entries.add(link(repository + "/_manifests/revisions/sha256/" + manifest.hex() + "/link", manifest));
        for (String tag : tags) {
            entries.add(link(repository + "/_manifests/tags/" + tag + "/current/link", manifest));
            entries.add(link(repository + "/_manifests/tags/" + tag + "/index/sha256/" + manifest.hex() + "/link", manifest));
        }
        entries.add(link(repository + "/_layers/sha256/" + config.hex() + "/link", config));
        entries.add(link(repository + "/_layers/sha256/" + layer.hex() + "/link", layer));
    }

    private static Entry blobData(Blob blob) {
        return new Entry(ROOT + "/blobs/sha256/" + blob.hex().substring(0, 2) + "/" + blob.hex() + "/data", blob.content());
    }

    private static Entry link(String path, Blob blob) {
        return new Entry(path, ("sha256:" + blob.hex()).getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeFilesystem(Path root, List<Entry> entries) throws IOException {
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        for (Entry entry : entries) {
            Path file = root.resolve(entry.path());
            Files.createDirectories(file.getParent());
            Files.write(file, entry.content());
            Files.setLastModifiedTime(file, old);
        }
    }

    /** Uploads every object, 64 at a time; Azure sets each one's time itself (now). */
    private static void writeAzure(String connectionString, String containerName, List<Entry> entries) {
        BlobContainerAsyncClient container = new BlobServiceClientBuilder().connectionString(connectionString)
                .buildAsyncClient().getBlobContainerAsyncClient(containerName);
        container.createIfNotExists().block();
        AtomicInteger done = new AtomicInteger();
        long started = System.nanoTime();
        Flux.fromIterable(entries)
                .flatMap(entry -> container.getBlobAsyncClient(entry.path())
                        .upload(BinaryData.fromBytes(entry.content()), true)
                        .doOnSuccess(ignored -> {
                            int n = done.incrementAndGet();
                            if (n % 10_000 == 0) {
                                System.err.printf("[gc-store] %d of %d objects written to Azure (%.0f s)%n", n,
                                        entries.size(), (System.nanoTime() - started) / 1e9);
                            }
                        }), 64)
                .blockLast();
    }

    /** Writes the digests of every blob in the container's layout, sorted, one a line, to {@code out}. */
    private static void listAzureBlobs(String connectionString, String containerName, Path out) throws IOException {
        String folder = ROOT + "/blobs/sha256/";
        List<String> digests = new BlobServiceClientBuilder().connectionString(connectionString).buildClient()
                .getBlobContainerClient(containerName)
                .listBlobs(new ListBlobsOptions().setPrefix(folder).setMaxResultsPerPage(5000), null).stream()
                .map(BlobItem::getName).filter(name -> name.endsWith("/data"))
                .map(name -> "sha256:" + name.substring(folder.length() + 3, name.length() - "/data".length()))
                .sorted().toList();
        Files.write(out, digests);
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
