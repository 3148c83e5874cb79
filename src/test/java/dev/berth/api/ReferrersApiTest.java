package dev.berth.api;

import static dev.berth.api.RegistryHttp.EMPTY_JSON;
import static dev.berth.api.RegistryHttp.EMPTY_JSON_DIGEST;
import static dev.berth.api.RegistryHttp.JSON;
import static dev.berth.api.RegistryHttp.OCI_EMPTY;
import static dev.berth.api.RegistryHttp.OCI_INDEX;
import static dev.berth.api.RegistryHttp.OCI_MANIFEST;
import static dev.berth.api.RegistryHttp.assertError;
import static dev.berth.api.RegistryHttp.delete;
import static dev.berth.api.RegistryHttp.descriptor;
import static dev.berth.api.RegistryHttp.get;
import static dev.berth.api.RegistryHttp.header;
import static dev.berth.api.RegistryHttp.json;
import static dev.berth.api.RegistryHttp.pushBlob;
import static dev.berth.api.RegistryHttp.pushImage;
import static dev.berth.api.RegistryHttp.putManifest;
import static dev.berth.api.RegistryHttp.text;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.api.RegistryHttp.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.Image;
import dev.berth.support.Sha256;
import dev.berth.support.SharedBerth;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** Artifacts with a {@code subject} and the referrers API. */
@Timeout(30)
class ReferrersApiTest {

    private static final String SIGNATURE = "application/vnd.example.signature.v1";
    private static final String SBOM = "application/spdx+json";
    private static final String EXAMPLE_CONFIG = "application/vnd.example.config.v1+json";
    private static final String EMPTY_DESCRIPTOR = descriptor(OCI_EMPTY, EMPTY_JSON_DIGEST, 2);

    /** Starts the shared Berth (and its store) here, outside any test's timeout. */
    @BeforeAll
    static void startTheSharedBerth() {
        SharedBerth.get();
    }

    /** A pushed referrer: its digest and size, and the descriptor the referrers list should show for it. */
    private record Referrer(String digest, int size, String json, JsonNode expectedDescriptor) {
    }

    @Test
    void artifactWithSubjectIs201WithOciSubjectHeader() {
        String name = uniqueName("ref-push");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        String json = artifact(SIGNATURE, subject, null);

        HttpResponse<byte[]> response = putManifest(name, Sha256.digest(json), OCI_MANIFEST, json);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "OCI-Subject")).isEqualTo(subject.digest());
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(Sha256.digest(json));
        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/manifests/" + Sha256.digest(json));
        assertThat(get("/v2/" + name + "/manifests/" + Sha256.digest(json)).body()).isEqualTo(utf8(json));
    }

    @Test
    void subjectMayBeAbsentWhenTheReferrerIsPushed() {
        String name = uniqueName("ref-absent");
        pushBlob(name, EMPTY_JSON);
        String missing = Sha256.digest("subject pushed later " + UUID.randomUUID());
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"" + SIGNATURE
                + "\",\"config\":" + EMPTY_DESCRIPTOR + ",\"layers\":[" + EMPTY_DESCRIPTOR + "],\"subject\":"
                + descriptor(OCI_MANIFEST, missing, 1234) + "}";

        HttpResponse<byte[]> response = putManifest(name, "sig", OCI_MANIFEST, json);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "OCI-Subject")).isEqualTo(missing);
        JsonNode listed = json(get("/v2/" + name + "/referrers/" + missing)).path("manifests");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("digest").asString()).isEqualTo(Sha256.digest(json));
    }

    @Test
    void referrersListsADescriptorForEveryReferrer() {
        String name = uniqueName("ref-list");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        Referrer signature = pushArtifact(name, SIGNATURE, subject,
                "{\"com.example.key\":\"value\",\"org.opencontainers.image.created\":\"2024-01-02T03:04:05Z\"}");
        Referrer sbom = pushArtifact(name, SBOM, subject, null);
        Referrer image = pushImageReferrer(name, subject);
        Referrer index = pushIndexReferrer(name, "application/vnd.example.bundle.v1", subject);
        // A manifest of the repository that does not refer to the subject.
        pushImage(name, "unrelated", OCI_MANIFEST);

        HttpResponse<byte[]> response = get("/v2/" + name + "/referrers/" + subject.digest());

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_INDEX);
        assertThat(header(response, "OCI-Filters-Applied")).isNull();
        JsonNode body = json(response);
        assertThat(body.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(body.path("mediaType").asString()).isEqualTo(OCI_INDEX);
        assertThat(elements(body.path("manifests"))).containsExactlyInAnyOrder(signature.expectedDescriptor(),
                sbom.expectedDescriptor(), image.expectedDescriptor(), index.expectedDescriptor());
    }

    @Test
    void imageManifestWithoutArtifactTypeIsListedWithItsConfigMediaType() {
        String name = uniqueName("ref-config-type");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        Referrer image = pushImageReferrer(name, subject);

        JsonNode listed = json(get("/v2/" + name + "/referrers/" + subject.digest())).path("manifests");

        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("artifactType").asString()).isEqualTo(EXAMPLE_CONFIG);
        assertThat(listed.get(0)).isEqualTo(image.expectedDescriptor());
        HttpResponse<byte[]> filtered = get("/v2/" + name + "/referrers/" + subject.digest() + "?artifactType="
                + EXAMPLE_CONFIG.replace("+", "%2B"));
        assertThat(elements(json(filtered).path("manifests"))).containsExactly(image.expectedDescriptor());
    }

    @Test
    void artifactTypeFilterKeepsMatchingReferrersAndSaysSo() {
        String name = uniqueName("ref-filter");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        Referrer signature = pushArtifact(name, SIGNATURE, subject, null);
        Referrer secondSignature = pushArtifact(name, SIGNATURE, subject, "{\"n\":\"2\"}");
        pushArtifact(name, SBOM, subject, null);

        HttpResponse<byte[]> response = get("/v2/" + name + "/referrers/" + subject.digest()
                + "?artifactType=" + SIGNATURE);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_INDEX);
        assertThat(header(response, "OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(elements(json(response).path("manifests")))
                .containsExactlyInAnyOrder(signature.expectedDescriptor(), secondSignature.expectedDescriptor());
    }

    @Test
    void artifactTypeFilterWithPercentEncodedTypeMatches() {
        String name = uniqueName("ref-filter-encoded");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        Referrer sbom = pushArtifact(name, SBOM, subject, null);
        pushArtifact(name, SIGNATURE, subject, null);

        HttpResponse<byte[]> response = get("/v2/" + name + "/referrers/" + subject.digest()
                + "?artifactType=application%2Fspdx%2Bjson");

        assertThat(header(response, "OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(elements(json(response).path("manifests"))).containsExactly(sbom.expectedDescriptor());
    }

    @Test
    void artifactTypeFilterMatchingNothingGivesAnEmptyList() {
        String name = uniqueName("ref-filter-none");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        pushArtifact(name, SIGNATURE, subject, null);

        HttpResponse<byte[]> response = get("/v2/" + name + "/referrers/" + subject.digest()
                + "?artifactType=application/vnd.example.nothing");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(json(response).path("manifests").isArray()).isTrue();
        assertThat(json(response).path("manifests")).isEmpty();
    }

    @Test
    void subjectWithoutReferrersGivesAnEmptyIndex() {
        String name = uniqueName("ref-none");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);

        for (String digest : new String[] {subject.digest(), Sha256.digest(UUID.randomUUID().toString())}) {
            HttpResponse<byte[]> response = get("/v2/" + name + "/referrers/" + digest);

            assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
            assertThat(header(response, "Content-Type")).isEqualTo(OCI_INDEX);
            JsonNode body = json(response);
            assertThat(body.path("schemaVersion").asInt()).isEqualTo(2);
            assertThat(body.path("mediaType").asString()).isEqualTo(OCI_INDEX);
            assertThat(body.path("manifests").isArray()).isTrue();
            assertThat(body.path("manifests")).isEmpty();
        }
    }

    @Test
    void referrersOfARepositoryThatDoesNotExistIsAnEmptyIndex() {
        HttpResponse<byte[]> response = get("/v2/" + uniqueName("ref-no-repo") + "/referrers/"
                + Sha256.digest(UUID.randomUUID().toString()));

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(json(response).path("manifests")).isEmpty();
    }

    @Test
    void invalidSubjectDigestIs400DigestInvalid() {
        String name = uniqueName("ref-bad-digest");
        pushImage(name, "v1", OCI_MANIFEST);

        assertError(get("/v2/" + name + "/referrers/sha256:xyz"), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + name + "/referrers/md5:d41d8cd98f00b204e9800998ecf8427e"), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + name + "/referrers/v1"), 400, "DIGEST_INVALID");
    }

    @Test
    void referrerDeletedByDigestDisappearsFromTheList() {
        String name = uniqueName("ref-delete");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        Referrer kept = pushArtifact(name, SBOM, subject, null);
        Referrer removed = pushArtifact(name, SIGNATURE, subject, null);

        assertThat(delete("/v2/" + name + "/manifests/" + removed.digest()).statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = get("/v2/" + name + "/referrers/" + subject.digest());
        assertThat(elements(json(response).path("manifests"))).containsExactly(kept.expectedDescriptor());
        HttpResponse<byte[]> filtered = get("/v2/" + name + "/referrers/" + subject.digest()
                + "?artifactType=" + SIGNATURE);
        assertThat(json(filtered).path("manifests")).isEmpty();
    }

    @Test
    void referrerKeepsBeingListedWhenOnlyItsTagIsDeleted() {
        String name = uniqueName("ref-untag");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        String json = artifact(SIGNATURE, subject, null);
        assertThat(putManifest(name, "sig", OCI_MANIFEST, json).statusCode()).isEqualTo(201);

        assertThat(delete("/v2/" + name + "/manifests/sig").statusCode()).isEqualTo(202);

        JsonNode listed = json(get("/v2/" + name + "/referrers/" + subject.digest())).path("manifests");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("digest").asString()).isEqualTo(Sha256.digest(json));
    }

    @Test
    void referrersAreListedOnlyInTheirOwnRepository() {
        String name = uniqueName("ref-own");
        String other = uniqueName("ref-other");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);
        pushBlob(name, EMPTY_JSON);
        pushArtifact(name, SIGNATURE, subject, null);
        pushImage(other, "v1", OCI_MANIFEST);

        HttpResponse<byte[]> response = get("/v2/" + other + "/referrers/" + subject.digest());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("manifests")).isEmpty();
    }

    @Test
    void artifactWhoseEmptyConfigWasNotPushedIsManifestBlobUnknown() {
        String name = uniqueName("ref-no-empty");
        Image subject = pushImage(name, "v1", OCI_MANIFEST);

        assertError(putManifest(name, "sig", OCI_MANIFEST, artifact(SIGNATURE, subject, null)), 404,
                "MANIFEST_BLOB_UNKNOWN");
    }

    // ---------------------------------------------------------------- helpers

    /** An OCI artifact manifest: the empty config, one empty layer, {@code subject}, optional annotations. */
    private static String artifact(String artifactType, Image subject, String annotations) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"" + artifactType
                + "\",\"config\":" + EMPTY_DESCRIPTOR + ",\"layers\":[" + EMPTY_DESCRIPTOR + "],\"subject\":"
                + subject.descriptor() + (annotations == null ? "" : ",\"annotations\":" + annotations) + "}";
    }

    private static Referrer pushArtifact(String name, String artifactType, Image subject, String annotations) {
        String json = artifact(artifactType, subject, annotations);
        return pushReferrer(name, OCI_MANIFEST, json, artifactType, annotations);
    }

    /** An ordinary image manifest (no artifactType) with a subject: listed with its config's media type. */
    private static Referrer pushImageReferrer(String name, Image subject) {
        byte[] config = utf8("{\"example\":\"" + UUID.randomUUID() + "\"}");
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + descriptor(EXAMPLE_CONFIG, pushBlob(name, config), config.length) + ",\"layers\":[],\"subject\":"
                + subject.descriptor() + "}";
        return pushReferrer(name, OCI_MANIFEST, json, EXAMPLE_CONFIG, null);
    }

    private static Referrer pushIndexReferrer(String name, String artifactType, Image subject) {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"artifactType\":\"" + artifactType
                + "\",\"manifests\":[],\"subject\":" + subject.descriptor() + "}";
        return pushReferrer(name, OCI_INDEX, json, artifactType, null);
    }

    private static Referrer pushReferrer(String name, String mediaType, String json, String artifactType,
            String annotations) {
        String digest = Sha256.digest(json);
        HttpResponse<byte[]> response = putManifest(name, digest, mediaType, json);
        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        int size = utf8(json).length;
        String expected = "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size
                + ",\"artifactType\":\"" + artifactType + "\""
                + (annotations == null ? "" : ",\"annotations\":" + annotations) + "}";
        return new Referrer(digest, size, json, JSON.readTree(expected));
    }

    private static List<JsonNode> elements(JsonNode array) {
        assertThat(array.isArray()).as("manifests is an array: %s", array).isTrue();
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }
}
