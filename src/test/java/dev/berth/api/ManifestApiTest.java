package dev.berth.api;

import static dev.berth.api.RegistryHttp.DOCKER_CONFIG;
import static dev.berth.api.RegistryHttp.DOCKER_MANIFEST;
import static dev.berth.api.RegistryHttp.DOCKER_MANIFEST_LIST;
import static dev.berth.api.RegistryHttp.OCI_CONFIG;
import static dev.berth.api.RegistryHttp.OCI_INDEX;
import static dev.berth.api.RegistryHttp.OCI_LAYER;
import static dev.berth.api.RegistryHttp.OCI_MANIFEST;
import static dev.berth.api.RegistryHttp.assertError;
import static dev.berth.api.RegistryHttp.assertHeadError;
import static dev.berth.api.RegistryHttp.delete;
import static dev.berth.api.RegistryHttp.descriptor;
import static dev.berth.api.RegistryHttp.get;
import static dev.berth.api.RegistryHttp.head;
import static dev.berth.api.RegistryHttp.header;
import static dev.berth.api.RegistryHttp.imageManifest;
import static dev.berth.api.RegistryHttp.index;
import static dev.berth.api.RegistryHttp.json;
import static dev.berth.api.RegistryHttp.pushBlob;
import static dev.berth.api.RegistryHttp.pushImage;
import static dev.berth.api.RegistryHttp.pushManifest;
import static dev.berth.api.RegistryHttp.putManifest;
import static dev.berth.api.RegistryHttp.text;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.api.RegistryHttp.utf8;
import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.Image;
import dev.berth.support.Sha256;
import dev.berth.support.SharedBerth;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Pushing, pulling and deleting manifests: every supported media type, validation, negotiation. */
@Timeout(30)
class ManifestApiTest {

    private static final int FOUR_MIB = 4 * 1024 * 1024;

    /** Starts the shared Berth (and its store) here, outside any test's timeout. */
    @BeforeAll
    static void startTheSharedBerth() {
        SharedBerth.get();
    }

    // ---------------------------------------------------------------- push and pull

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {OCI_MANIFEST, DOCKER_MANIFEST})
    void imageManifestPutByTagIs201WithLocationAndDigest(String mediaType) {
        String name = uniqueName("manifest-put");
        boolean docker = mediaType.equals(DOCKER_MANIFEST);
        byte[] config = utf8("{\"os\":\"linux\"}");
        byte[] layer = randomBytes(100);
        String json = imageManifest(mediaType,
                descriptor(docker ? DOCKER_CONFIG : OCI_CONFIG, pushBlob(name, config), config.length),
                descriptor(docker ? RegistryHttp.DOCKER_LAYER : OCI_LAYER, pushBlob(name, layer), layer.length));

        HttpResponse<byte[]> response = putManifest(name, "v1", mediaType, json);

        String digest = Sha256.digest(json);
        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/manifests/" + digest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(header(response, "OCI-Subject")).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST})
    void getByTagAndByDigestReturnTheExactBytesWithTheMediaType(String mediaType) {
        String name = uniqueName("manifest-get");
        Pushed pushed = pushOfType(name, "v1", mediaType);

        for (String reference : new String[] {"v1", pushed.digest}) {
            HttpResponse<byte[]> response = get("/v2/" + name + "/manifests/" + reference);

            assertThat(response.statusCode()).as(reference + " " + text(response)).isEqualTo(200);
            assertThat(response.body()).as(reference).isEqualTo(pushed.bytes);
            assertThat(header(response, "Content-Type")).as(reference).isEqualTo(mediaType);
            assertThat(header(response, "Docker-Content-Digest")).as(reference).isEqualTo(pushed.digest);
            assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(pushed.bytes.length));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {OCI_MANIFEST, DOCKER_MANIFEST_LIST})
    void headByTagAndByDigestReturnTheHeadersWithoutBody(String mediaType) {
        String name = uniqueName("manifest-head");
        Pushed pushed = pushOfType(name, "v1", mediaType);

        for (String reference : new String[] {"v1", pushed.digest}) {
            HttpResponse<byte[]> response = head("/v2/" + name + "/manifests/" + reference);

            assertThat(response.statusCode()).as(reference).isEqualTo(200);
            assertThat(response.body()).isEmpty();
            assertThat(header(response, "Content-Type")).isEqualTo(mediaType);
            assertThat(header(response, "Docker-Content-Digest")).isEqualTo(pushed.digest);
            assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(pushed.bytes.length));
        }
    }

    @Test
    void manifestBytesAreKeptExactlyAsPushed() {
        String name = uniqueName("manifest-bytes");
        byte[] config = utf8("{}");
        String configDigest = pushBlob(name, config);
        // Odd spacing, key order and a trailing newline: the digest is of these bytes, not of a re-encoding.
        String json = "{\n  \"layers\" : [ ],\n\t\"config\": {\"size\": 2, \"digest\": \"" + configDigest
                + "\", \"mediaType\": \"" + OCI_CONFIG + "\"},\n  \"schemaVersion\":2,   \"mediaType\": \""
                + OCI_MANIFEST + "\" , \"annotations\": {\"note\": \"caf\u00e9 \\u00e9\"}\n}\n";

        String digest = pushManifest(name, "exact", OCI_MANIFEST, json);

        assertThat(digest).isEqualTo(Sha256.digest(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(get("/v2/" + name + "/manifests/exact").body()).isEqualTo(json.getBytes(StandardCharsets.UTF_8));
        assertThat(get("/v2/" + name + "/manifests/" + digest).body()).isEqualTo(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void putByDigestReferenceStoresTheManifestWithoutATag() {
        String name = uniqueName("manifest-by-digest");
        Image tagged = pushImage(name, "keep", OCI_MANIFEST);
        Image image = pushImage(name, null, OCI_MANIFEST);

        HttpResponse<byte[]> response = get("/v2/" + name + "/manifests/" + image.digest());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(image.bytes());
        assertThat(json(get("/v2/" + name + "/tags/list")).path("tags").toString()).isEqualTo("[\"keep\"]");
        assertThat(tagged.digest()).isNotEqualTo(image.digest());
    }

    @Test
    void pushingAnotherManifestUnderATagMovesTheTag() {
        String name = uniqueName("manifest-retag");
        Image first = pushImage(name, "latest", OCI_MANIFEST);
        Image second = pushImage(name, "latest", OCI_MANIFEST);

        HttpResponse<byte[]> response = get("/v2/" + name + "/manifests/latest");

        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(second.digest());
        assertThat(response.body()).isEqualTo(second.bytes());
        assertThat(get("/v2/" + name + "/manifests/" + first.digest()).body()).isEqualTo(first.bytes());
    }

    @Test
    void indexWithoutMediaTypeFieldIsServedWithThePushedContentType() {
        String name = uniqueName("manifest-no-mediatype");
        Image child = pushImage(name, null, OCI_MANIFEST);
        String json = "{\"schemaVersion\":2,\"manifests\":[" + child.descriptor() + "]}";

        String digest = pushManifest(name, "idx", OCI_INDEX, json);

        HttpResponse<byte[]> response = get("/v2/" + name + "/manifests/" + digest);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_INDEX);
    }

    // ---------------------------------------------------------------- references must exist

    @Test
    void configNotInTheRepositoryIs404ManifestBlobUnknown() {
        String name = uniqueName("manifest-no-config");
        byte[] layer = randomBytes(10);
        String json = imageManifest(OCI_MANIFEST, descriptor(OCI_CONFIG, Sha256.digest("never pushed"), 12),
                descriptor(OCI_LAYER, pushBlob(name, layer), layer.length));

        assertError(putManifest(name, "v1", OCI_MANIFEST, json), 404, "MANIFEST_BLOB_UNKNOWN");
        assertError(get("/v2/" + name + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void layerNotInTheRepositoryIs404ManifestBlobUnknown() {
        String name = uniqueName("manifest-no-layer");
        byte[] config = utf8("{}");
        String json = imageManifest(DOCKER_MANIFEST, descriptor(DOCKER_CONFIG, pushBlob(name, config), 2),
                descriptor(RegistryHttp.DOCKER_LAYER, Sha256.digest("layer never pushed"), 18));

        assertError(putManifest(name, "v1", DOCKER_MANIFEST, json), 404, "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void blobsPushedOnlyToAnotherRepositoryAreManifestBlobUnknown() {
        String owner = uniqueName("manifest-blob-owner");
        String other = uniqueName("manifest-blob-other");
        Image image = pushImage(owner, "v1", OCI_MANIFEST);

        assertError(putManifest(other, "v1", OCI_MANIFEST, image.json()), 404, "MANIFEST_BLOB_UNKNOWN");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {OCI_INDEX, DOCKER_MANIFEST_LIST})
    void indexWithAChildNotInTheRepositoryIs404ThenAcceptedOnceChildrenArePushed(String mediaType) {
        String name = uniqueName("manifest-index");
        String childType = mediaType.equals(OCI_INDEX) ? OCI_MANIFEST : DOCKER_MANIFEST;
        Image present = pushImage(name, null, childType);
        // A child pushed to another repository only.
        Image elsewhere = pushImage(uniqueName("manifest-index-elsewhere"), null, childType);
        String json = index(mediaType, present.descriptor(), elsewhere.descriptor());

        assertError(putManifest(name, "multi", mediaType, json), 404, "MANIFEST_BLOB_UNKNOWN");

        // The child itself cannot come without its blobs; pushed properly, blobs first, it can.
        assertError(putManifest(name, elsewhere.digest(), childType, elsewhere.json()), 404, "MANIFEST_BLOB_UNKNOWN");
        Image copied = copyImage(elsewhere, name);
        assertThat(copied.digest()).isEqualTo(elsewhere.digest());

        HttpResponse<byte[]> response = putManifest(name, "multi", mediaType, json);
        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(Sha256.digest(json));
        assertThat(get("/v2/" + name + "/manifests/multi").body()).isEqualTo(utf8(json));
    }

    // ---------------------------------------------------------------- validation

    @ParameterizedTest(name = "body {0}")
    @ValueSource(strings = {"not json", "{\"schemaVersion\":2,", "[]", "\"text\"", "42", "null", "",
            "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\"}",
            "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"x\"},\"layers\":[]}",
            "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"digest\":\"sha256:zz\",\"size\":1}}",
            "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"digest\":\""
                    + "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":-1}}",
            "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"digest\":\""
                    + "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0},"
                    + "\"layers\":{}}",
            "{\"schemaVersion\":\"2\",\"mediaType\":\"" + OCI_MANIFEST + "\"}",
            "{\"schemaVersion\":3,\"mediaType\":\"" + OCI_MANIFEST + "\"}",
            "{\"schemaVersion\":2,\"mediaType\":5}"})
    void invalidManifestIs400ManifestInvalid(String body) {
        String name = uniqueName("manifest-invalid");

        assertError(putManifest(name, "v1", OCI_MANIFEST, body), 400, "MANIFEST_INVALID");
    }

    @Test
    void schemaVersionBeyondIntRangeIsManifestInvalid() {
        String name = uniqueName("manifest-big-schema");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);

        assertError(putManifest(name, "v1", OCI_MANIFEST,
                "{\"schemaVersion\":3000000000,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + config
                        + ",\"layers\":[]}"), 400, "MANIFEST_INVALID");
    }

    @Test
    void descriptorSizeBeyondLongRangeIsManifestInvalid() {
        String name = uniqueName("manifest-big-size");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);

        assertError(putManifest(name, "v2", OCI_MANIFEST,
                "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + config
                        + ",\"layers\":[{\"mediaType\":\"" + OCI_LAYER + "\",\"digest\":\"" + Sha256.digest("x")
                        + "\",\"size\":99999999999999999999999}]}"), 400, "MANIFEST_INVALID");
    }

    @Test
    void jsonMediaTypeDifferingFromContentTypeIsManifestInvalid() {
        String name = uniqueName("manifest-mismatch");
        Image image = pushImage(name, "v1", OCI_MANIFEST);

        assertError(putManifest(name, "v2", DOCKER_MANIFEST, image.json()), 400, "MANIFEST_INVALID");
        assertError(putManifest(name, "v2", OCI_INDEX, image.json()), 400, "MANIFEST_INVALID");
        assertError(get("/v2/" + name + "/manifests/v2"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void schemaVersion1IsManifestInvalid() {
        String name = uniqueName("manifest-schema1");
        String json = "{\"schemaVersion\":1,\"name\":\"" + name + "\",\"tag\":\"v1\",\"architecture\":\"amd64\","
                + "\"fsLayers\":[],\"history\":[]}";

        assertError(putManifest(name, "v1", "application/vnd.docker.distribution.manifest.v1+json", json), 400,
                "MANIFEST_INVALID");
        assertError(putManifest(name, "v1", "application/vnd.docker.distribution.manifest.v1+prettyjws", json), 400,
                "MANIFEST_INVALID");
        assertError(putManifest(name, "v1", null, json), 400, "MANIFEST_INVALID");
    }

    @Test
    void unknownMediaTypeIsManifestInvalid() {
        String name = uniqueName("manifest-unknown-type");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);
        String json = imageManifest("application/vnd.example.thing.v1+json", config);

        assertError(putManifest(name, "v1", "application/vnd.example.thing.v1+json", json), 400, "MANIFEST_INVALID");
        String noMediaType = "{\"schemaVersion\":2,\"config\":" + config + ",\"layers\":[]}";
        assertError(putManifest(name, "v1", "text/plain", noMediaType), 400, "MANIFEST_INVALID");
    }

    @Test
    void indexContentUnderAnImageManifestTypeIsManifestInvalid() {
        String name = uniqueName("manifest-shape");
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"manifests\":[]}";

        assertError(putManifest(name, "v1", OCI_MANIFEST, json), 400, "MANIFEST_INVALID");
    }

    @Test
    void manifestOfExactly4MiBIsAccepted() {
        String name = uniqueName("manifest-4mib");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);
        byte[] json = paddedManifest(config, FOUR_MIB);

        HttpResponse<byte[]> response = putManifest(name, "big", OCI_MANIFEST, json);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(Sha256.digest(json));
        assertThat(get("/v2/" + name + "/manifests/big").body()).isEqualTo(json);
    }

    @Test
    void manifestOverFourMiBIs413SizeInvalid() {
        String name = uniqueName("manifest-too-big");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);
        byte[] json = paddedManifest(config, FOUR_MIB + 1);

        assertError(putManifest(name, "big", OCI_MANIFEST, json), 413, "SIZE_INVALID");
        assertError(get("/v2/" + name + "/manifests/big"), 404, "MANIFEST_UNKNOWN");
        assertError(putManifest(name, "bigger", OCI_MANIFEST, paddedManifest(config, 3 * FOUR_MIB)), 413,
                "SIZE_INVALID");
    }

    @Test
    void putByADigestThatIsNotTheBodysIsDigestInvalid() {
        String name = uniqueName("manifest-digest-ref");
        Image image = pushImage(name, "v1", OCI_MANIFEST);
        String other = Sha256.digest("another manifest");

        assertError(putManifest(name, other, OCI_MANIFEST, image.json()), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + name + "/manifests/" + other), 404, "MANIFEST_UNKNOWN");
        assertError(putManifest(name, "sha256:xyz", OCI_MANIFEST, image.json()), 400, "DIGEST_INVALID");
    }

    static Stream<String> invalidTags() {
        return Stream.of("-bad", ".bad", "a".repeat(129), "bad!", "bad+tag");
    }

    @ParameterizedTest(name = "tag {0}")
    @MethodSource("invalidTags")
    void invalidTagIs400TagInvalid(String tag) {
        String name = uniqueName("manifest-bad-tag");
        Image image = pushImage(name, "ok", OCI_MANIFEST);

        assertError(putManifest(name, tag, OCI_MANIFEST, image.json()), 400, "TAG_INVALID");
    }

    @Test
    void tagOf128CharactersIsAccepted() {
        String name = uniqueName("manifest-long-tag");
        String tag = "_" + "a".repeat(120) + ".B-9_z1";
        assertThat(tag).hasSize(128);
        Image image = pushImage(name, tag, OCI_MANIFEST);

        assertThat(get("/v2/" + name + "/manifests/" + tag).body()).isEqualTo(image.bytes());
    }

    @Test
    void unknownTagOrDigestIs404ManifestUnknown() {
        String name = uniqueName("manifest-unknown");
        pushImage(name, "v1", OCI_MANIFEST);
        String digest = Sha256.digest(UUID.randomUUID().toString());

        assertError(get("/v2/" + name + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/" + name + "/manifests/" + digest), 404, "MANIFEST_UNKNOWN");
        assertHeadError(head("/v2/" + name + "/manifests/nope"), 404);
        assertHeadError(head("/v2/" + name + "/manifests/" + digest), 404);
        assertError(get("/v2/" + uniqueName("manifest-no-repo") + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
    }

    @ParameterizedTest(name = "reference {0}")
    @ValueSource(strings = {".INVALID_MANIFEST_NAME", "-lead",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void referenceThatCannotBeATagIs404ToReadersAndTagInvalidOnlyToAPush(String reference) {
        String name = uniqueName("manifest-bad-ref");
        Image image = pushImage(name, "v1", OCI_MANIFEST);

        assertError(get("/v2/" + name + "/manifests/" + reference), 404, "MANIFEST_UNKNOWN");
        assertHeadError(head("/v2/" + name + "/manifests/" + reference), 404);
        assertError(delete("/v2/" + name + "/manifests/" + reference), 404, "MANIFEST_UNKNOWN");
        assertError(putManifest(name, reference, OCI_MANIFEST, image.json()), 400, "TAG_INVALID");
    }

    @Test
    void eachDistinctReferenceIsLookedUpOnceHoweverOftenItIsListed() {
        String name = uniqueName("manifest-fan-out");
        String json = manifestListingOneLayer(name, 900);
        io.micrometer.core.instrument.MeterRegistry meters = dev.berth.support.SharedBerth.get().context()
                .getBean(io.micrometer.core.instrument.MeterRegistry.class);
        double before = storeCalls(meters);

        HttpResponse<byte[]> response = putManifest(name, "fan", OCI_MANIFEST, json);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(storeCalls(meters) - before).as("store calls for a manifest listing one layer 900 times")
                .isLessThan(30);
    }

    /** An image manifest whose layers are one pushed layer, listed {@code times} times. */
    private String manifestListingOneLayer(String name, int times) {
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);
        byte[] layer = randomBytes(100);
        String layerDescriptor = descriptor(OCI_LAYER, pushBlob(name, layer), layer.length);
        return imageManifest(OCI_MANIFEST, config, java.util.Collections.nCopies(times, layerDescriptor)
                .toArray(String[]::new));
    }

    private static double storeCalls(io.micrometer.core.instrument.MeterRegistry meters) {
        return meters.find("berth.storage.operations").timers().stream().mapToDouble(t -> t.count()).sum();
    }

    @Test
    void moreDescriptorsThanAllowedIsManifestInvalid() {
        String name = uniqueName("manifest-too-many");
        String json = manifestListingOneLayer(name, 1000);

        HttpResponse<byte[]> response = putManifest(name, "many", OCI_MANIFEST, json);

        assertError(response, 400, "MANIFEST_INVALID");
        assertThat(text(response)).contains("berth.manifests.max-references");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_LAYER})
    void layersPointingElsewhereAreRefusedUnlessTheirUrlsAreAllowed(String mediaType) {
        String name = uniqueName("manifest-urls");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);
        String foreign = "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Sha256.digest(UUID.randomUUID().toString())
                + "\",\"size\":1234,\"urls\":[\"https://attacker.example/layer.tar.gz\"]}";

        HttpResponse<byte[]> response = putManifest(name, "foreign", OCI_MANIFEST,
                imageManifest(OCI_MANIFEST, config, foreign));

        assertError(response, 400, "MANIFEST_INVALID");
        assertThat(text(response)).contains("https://attacker.example/layer.tar.gz");
    }

    @Test
    void aNonDistributableLayerWithoutUrlsMustBeInTheRepository() {
        String name = uniqueName("manifest-nondist");
        String config = descriptor(OCI_CONFIG, pushBlob(name, utf8("{}")), 2);
        String missing = descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                Sha256.digest(UUID.randomUUID().toString()), 10);

        assertError(putManifest(name, "v1", OCI_MANIFEST, imageManifest(OCI_MANIFEST, config, missing)), 404,
                "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void aManifestOverTheLimitIsNotReadMuchFurther() {
        dev.berth.support.RawHttp.Flood flood = dev.berth.support.RawHttp.flood(
                dev.berth.support.SharedBerth.get().port(), "PUT /v2/" + uniqueName("manifest-flood")
                        + "/manifests/big HTTP/1.1\r\nContent-Type: " + OCI_MANIFEST + "\r\nContent-Length: "
                        + (4L << 30), new byte[64 * 1024], 1L << 30, java.time.Duration.ofSeconds(3));

        assertThat(flood.answer()).startsWith("HTTP/1.1 413");
        assertThat(flood.accepted()).as("bytes Berth took of a 4 GiB manifest").isLessThan(24L * 1024 * 1024);
    }

    @Test
    void blobDigestIsNotAManifest() {
        String name = uniqueName("manifest-blob-digest");
        Image image = pushImage(name, "v1", OCI_MANIFEST);

        assertError(get("/v2/" + name + "/manifests/" + image.layerDigest()), 404, "MANIFEST_UNKNOWN");
    }

    // ---------------------------------------------------------------- content negotiation

    @Test
    void acceptNegotiationOfAnOciManifest() {
        String name = uniqueName("manifest-accept");
        Image image = pushImage(name, "v1", OCI_MANIFEST);
        String path = "/v2/" + name + "/manifests/v1";

        assertError(get(path, "Accept", DOCKER_MANIFEST), 404, "MANIFEST_UNKNOWN");
        assertError(get(path, "Accept", DOCKER_MANIFEST + ", " + DOCKER_MANIFEST_LIST), 404, "MANIFEST_UNKNOWN");
        assertHeadError(head(path, "Accept", DOCKER_MANIFEST), 404);

        for (String accept : new String[] {"*/*", OCI_MANIFEST, DOCKER_MANIFEST + ", " + OCI_MANIFEST,
                DOCKER_MANIFEST + ";q=0.9, " + OCI_MANIFEST + ";q=0.5", "application/json, */*;q=0.1"}) {
            HttpResponse<byte[]> response = get(path, "Accept", accept);
            assertThat(response.statusCode()).as("Accept: " + accept).isEqualTo(200);
            assertThat(response.body()).isEqualTo(image.bytes());
            assertThat(header(response, "Content-Type")).isEqualTo(OCI_MANIFEST);
        }
        HttpResponse<byte[]> noAccept = get(path);
        assertThat(noAccept.statusCode()).isEqualTo(200);
        assertThat(noAccept.body()).isEqualTo(image.bytes());
    }

    @Test
    void acceptHeadersSentSeparatelyAreAllConsidered() {
        String name = uniqueName("manifest-accept-multi");
        Image image = pushImage(name, "v1", DOCKER_MANIFEST);

        HttpResponse<byte[]> response = get("/v2/" + name + "/manifests/v1",
                "Accept", OCI_MANIFEST, "Accept", DOCKER_MANIFEST);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(DOCKER_MANIFEST);
        assertThat(response.body()).isEqualTo(image.bytes());
    }

    // ---------------------------------------------------------------- delete

    @Test
    void deleteByTagRemovesOnlyTheTag() {
        String name = uniqueName("manifest-delete-tag");
        Image image = pushImage(name, "v1", OCI_MANIFEST);
        pushManifest(name, "v2", OCI_MANIFEST, image.json());

        HttpResponse<byte[]> response = delete("/v2/" + name + "/manifests/v1");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        assertError(get("/v2/" + name + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
        assertThat(get("/v2/" + name + "/manifests/" + image.digest()).body()).isEqualTo(image.bytes());
        assertThat(get("/v2/" + name + "/manifests/v2").body()).isEqualTo(image.bytes());
        assertThat(json(get("/v2/" + name + "/tags/list")).path("tags").toString()).isEqualTo("[\"v2\"]");
        assertError(delete("/v2/" + name + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deleteByDigestRemovesTheManifestAndEveryTagPointingAtIt() {
        String name = uniqueName("manifest-delete-digest");
        Image image = pushImage(name, "v1", OCI_MANIFEST);
        pushManifest(name, "latest", OCI_MANIFEST, image.json());
        Image other = pushImage(name, "other", OCI_MANIFEST);

        HttpResponse<byte[]> response = delete("/v2/" + name + "/manifests/" + image.digest());

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        assertError(get("/v2/" + name + "/manifests/" + image.digest()), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/" + name + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/" + name + "/manifests/latest"), 404, "MANIFEST_UNKNOWN");
        assertHeadError(head("/v2/" + name + "/manifests/latest"), 404);
        var tags = json(get("/v2/" + name + "/tags/list")).path("tags");
        assertThat(StreamSupport.stream(tags.spliterator(), false).map(node -> node.asString()).toList())
                .containsExactly("other");
        assertThat(get("/v2/" + name + "/manifests/other").body()).isEqualTo(other.bytes());
        assertError(delete("/v2/" + name + "/manifests/" + image.digest()), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deleteOfUnknownManifestIs404ManifestUnknown() {
        String name = uniqueName("manifest-delete-unknown");
        pushImage(name, "v1", OCI_MANIFEST);

        assertError(delete("/v2/" + name + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
        assertError(delete("/v2/" + name + "/manifests/" + Sha256.digest(UUID.randomUUID().toString())), 404,
                "MANIFEST_UNKNOWN");
        assertError(delete("/v2/" + uniqueName("manifest-delete-no-repo") + "/manifests/v1"), 404,
                "MANIFEST_UNKNOWN");
    }

    @Test
    void deletedManifestCanBePushedAgain() {
        String name = uniqueName("manifest-repush");
        Image image = pushImage(name, "v1", OCI_MANIFEST);
        assertThat(delete("/v2/" + name + "/manifests/" + image.digest()).statusCode()).isEqualTo(202);

        pushManifest(name, "v1", OCI_MANIFEST, image.json());

        assertThat(get("/v2/" + name + "/manifests/v1").body()).isEqualTo(image.bytes());
    }

    // ---------------------------------------------------------------- helpers

    private record Pushed(String digest, byte[] bytes) {
    }

    /** Pushes a manifest of {@code mediaType} under {@code tag} (an index over one pushed image). */
    private static Pushed pushOfType(String name, String tag, String mediaType) {
        if (mediaType.equals(OCI_MANIFEST) || mediaType.equals(DOCKER_MANIFEST)) {
            Image image = pushImage(name, tag, mediaType);
            return new Pushed(image.digest(), image.bytes());
        }
        Image child = pushImage(name, null, mediaType.equals(OCI_INDEX) ? OCI_MANIFEST : DOCKER_MANIFEST);
        String json = index(mediaType, child.descriptor());
        return new Pushed(pushManifest(name, tag, mediaType, json), utf8(json));
    }

    /** Pushes {@code image}'s blobs and manifest (by digest) to {@code target}, the way a copy tool does. */
    private static Image copyImage(Image image, String target) {
        byte[] config = get("/v2/" + image.repository() + "/blobs/" + image.configDigest()).body();
        byte[] layer = get("/v2/" + image.repository() + "/blobs/" + image.layerDigest()).body();
        pushBlob(target, config);
        pushBlob(target, layer);
        String digest = pushManifest(target, image.digest(), image.mediaType(), image.json());
        return new Image(target, image.mediaType(), image.json(), digest, image.configDigest(), image.layerDigest());
    }

    /** A valid OCI manifest padded with an annotation to exactly {@code size} bytes. */
    private static byte[] paddedManifest(String config, int size) {
        String head = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + config
                + ",\"layers\":[],\"annotations\":{\"pad\":\"";
        String tail = "\"}}";
        byte[] json = utf8(head + "x".repeat(size - head.length() - tail.length()) + tail);
        assertThat(json).hasSize(size);
        return json;
    }
}
