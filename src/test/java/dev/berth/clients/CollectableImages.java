package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.RandomBytes;
import dev.berth.support.Sha256;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Images pushed to Berth over HTTP for the garbage collection cases of {@link DistributionCompatibilityTest}:
 * two images in two repositories sharing a layer, an OCI index with two child images, a referrer (a
 * signature whose subject is the first image), and an image pushed, then deleted by digest, whose config,
 * layer and manifest no manifest references any more. Checks, against any registry serving the store, that
 * every image kept is served whole and the deleted one is gone.
 */
record CollectableImages(List<Stored> kept, Stored deleted) {

    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    static final String SIGNATURE = "application/vnd.example.signature.v1";

    /** A manifest as stored: its repository, its tag (null: by digest only) and the blobs it references. */
    record Stored(String repository, String tag, OciLayouts.Blob manifest, List<OciLayouts.Blob> blobs) {
    }

    /** Pushes every image to {@code berth} under {@code prefix}, then deletes the one meant to be collected. */
    static CollectableImages push(BerthServer berth, String prefix) {
        List<Stored> kept = new ArrayList<>();
        OciLayouts.Blob shared = layer(4000);
        Stored first = image(prefix + "/first", "v1", shared, layer(3000));
        kept.add(first);
        kept.add(image(prefix + "/second", "v1", shared, layer(2000)));
        Stored amd64 = image(prefix + "/multi", null, layer(1500));
        Stored arm64 = image(prefix + "/multi", null, layer(1600));
        kept.add(amd64);
        kept.add(arm64);
        kept.add(new Stored(prefix + "/multi", "v1", OciLayouts.Blob.of(OCI_INDEX, ("{\"schemaVersion\":2,\"mediaType\":\""
                + OCI_INDEX + "\",\"manifests\":[" + platform(amd64.manifest(), "amd64") + ","
                + platform(arm64.manifest(), "arm64") + "]}").getBytes(StandardCharsets.UTF_8)), List.of()));
        OciLayouts.Blob empty = OciLayouts.Blob.of(OCI_EMPTY, "{}".getBytes(StandardCharsets.UTF_8));
        OciLayouts.Blob signature = OciLayouts.Blob.of(SIGNATURE, RandomBytes.randomBytes(300));
        kept.add(new Stored(prefix + "/first", null, OciLayouts.Blob.of(OciLayouts.OCI_MANIFEST, ("{\"schemaVersion\":2,"
                + "\"mediaType\":\"" + OciLayouts.OCI_MANIFEST + "\",\"artifactType\":\"" + SIGNATURE + "\",\"config\":"
                + empty.descriptor() + ",\"layers\":[" + signature.descriptor() + "],\"subject\":"
                + first.manifest().descriptor() + "}").getBytes(StandardCharsets.UTF_8)), List.of(empty, signature)));
        Stored deleted = image(prefix + "/first", "old", layer(2500));
        for (Stored stored : kept) {
            store(berth, stored);
        }
        store(berth, deleted);
        assertThat(Http.sendText("DELETE", berth.uri("/v2/" + deleted.repository() + "/manifests/"
                + deleted.manifest().digest()), null).statusCode()).as("DELETE of the manifest").isEqualTo(202);
        return new CollectableImages(kept, deleted);
    }

    /** The distinct blobs the kept images hold, their manifests included: what a collection must keep. */
    Set<String> keptBlobs() {
        Set<String> digests = new LinkedHashSet<>();
        for (Stored stored : kept) {
            digests.add(stored.manifest().digest());
            stored.blobs().forEach(blob -> digests.add(blob.digest()));
        }
        return digests;
    }

    /** The registry at {@code hostAndPort} serves every kept manifest (by tag and digest) and blob, intact. */
    void assertKeptServed(String hostAndPort, String registry) {
        for (Stored stored : kept) {
            List<String> references = new ArrayList<>(List.of(stored.manifest().digest()));
            if (stored.tag() != null) {
                references.add(stored.tag());
            }
            for (String reference : references) {
                HttpResponse<byte[]> manifest = get(hostAndPort, "/v2/" + stored.repository() + "/manifests/" + reference,
                        stored.manifest().mediaType());
                assertThat(manifest.statusCode()).as("%s: manifest %s:%s", registry, stored.repository(), reference)
                        .isEqualTo(200);
                assertThat(manifest.body()).as("%s: manifest %s:%s", registry, stored.repository(), reference)
                        .isEqualTo(stored.manifest().bytes());
            }
            for (OciLayouts.Blob blob : stored.blobs()) {
                HttpResponse<byte[]> pulled = get(hostAndPort, "/v2/" + stored.repository() + "/blobs/" + blob.digest(),
                        "*/*");
                assertThat(pulled.statusCode()).as("%s: blob %s in %s", registry, blob.digest(), stored.repository())
                        .isEqualTo(200);
                assertThat(Sha256.digest(pulled.body())).as("%s: digest of blob %s", registry, blob.digest())
                        .isEqualTo(blob.digest());
            }
        }
    }

    /** The registry at {@code hostAndPort} has neither the deleted manifest nor the blobs only it referenced. */
    void assertDeletedGone(String hostAndPort, String registry) {
        assertThat(get(hostAndPort, "/v2/" + deleted.repository() + "/manifests/" + deleted.manifest().digest(),
                deleted.manifest().mediaType()).statusCode()).as("%s: the deleted manifest", registry).isEqualTo(404);
        for (OciLayouts.Blob blob : deleted.blobs()) {
            assertThat(get(hostAndPort, "/v2/" + deleted.repository() + "/blobs/" + blob.digest(), "*/*").statusCode())
                    .as("%s: blob %s of the deleted manifest", registry, blob.digest()).isEqualTo(404);
        }
    }

    private static Stored image(String repository, String tag, OciLayouts.Blob... layers) {
        OciLayouts.Blob config = OciLayouts.Blob.of(OciLayouts.OCI_CONFIG, ("{\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"n\":\"" + Commands.randomSuffix() + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OciLayouts.OCI_MANIFEST
                + "\",\"config\":" + config.descriptor() + ",\"layers\":[");
        List<OciLayouts.Blob> blobs = new ArrayList<>(List.of(config));
        for (int i = 0; i < layers.length; i++) {
            json.append(i == 0 ? "" : ",").append(layers[i].descriptor());
            blobs.add(layers[i]);
        }
        json.append("]}");
        return new Stored(repository, tag, OciLayouts.Blob.of(OciLayouts.OCI_MANIFEST,
                json.toString().getBytes(StandardCharsets.UTF_8)), blobs);
    }

    private static OciLayouts.Blob layer(int size) {
        return OciLayouts.Blob.of(OciLayouts.OCI_LAYER_TAR, RandomBytes.randomBytes(size));
    }

    private static String platform(OciLayouts.Blob manifest, String architecture) {
        String descriptor = manifest.descriptor();
        return descriptor.substring(0, descriptor.length() - 1) + ",\"platform\":{\"architecture\":\"" + architecture
                + "\",\"os\":\"linux\"}}";
    }

    private static void store(BerthServer berth, Stored stored) {
        for (OciLayouts.Blob blob : stored.blobs()) {
            assertThat(Http.sendText("POST", berth.uri("/v2/" + stored.repository() + "/blobs/uploads/?digest="
                    + blob.digest()), blob.bytes()).statusCode()).as("upload of %s", blob.digest()).isEqualTo(201);
        }
        String reference = stored.tag() == null ? stored.manifest().digest() : stored.tag();
        assertThat(Http.sendText("PUT", berth.uri("/v2/" + stored.repository() + "/manifests/" + reference),
                stored.manifest().bytes(), "Content-Type", stored.manifest().mediaType()).statusCode())
                .as("PUT of manifest %s:%s", stored.repository(), reference).isEqualTo(201);
    }

    private static HttpResponse<byte[]> get(String hostAndPort, String path, String accept) {
        return Http.send("GET", URI.create("http://" + hostAndPort + path), null, "Accept", accept);
    }
}
