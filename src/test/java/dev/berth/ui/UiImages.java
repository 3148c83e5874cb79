package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Pushes images, indexes and referrers over the registry API as a client does (monolithic blob uploads, then
 * the manifest), with optional Basic credentials: what the UI tests look at.
 */
record UiImages(BerthServer berth, String authorization) {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";

    /** A pushed manifest's digest and size. */
    record Pushed(String digest, int size) {
        String descriptor(String mediaType) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
        }
    }

    String blob(String repository, byte[] content) {
        String digest = Sha256.digest(content);
        HttpResponse<String> response = Http.sendText("POST", berth.uri("/v2/" + repository + "/blobs/uploads/?digest="
                + digest), content, headers("Content-Type", "application/octet-stream"));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return digest;
    }

    Pushed manifest(String repository, String reference, String mediaType, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = Http.sendText("PUT", berth.uri("/v2/" + repository + "/manifests/" + reference),
                body, headers("Content-Type", mediaType));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return new Pushed(Sha256.digest(body), body.length);
    }

    /** An image for {@code architecture} with a config a person would look at, and two layers. */
    Pushed image(String repository, String reference, String architecture, int seed) {
        String config = "{\"architecture\":\"" + architecture + "\",\"os\":\"linux\",\"created\":\"2026-01-0" + (seed % 9 + 1)
                + "T10:00:00Z\",\"config\":{\"Entrypoint\":[\"/app\"],\"Cmd\":[\"--serve\"],\"Env\":[\"PATH=/usr/bin\","
                + "\"GREETING=<b>hello</b>\"],\"Labels\":{\"org.opencontainers.image.source\":\"https://example.com/app\"}},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[{\"created\":\"2026-01-01T10:00:00Z\","
                + "\"created_by\":\"COPY app /app\"},{\"created_by\":\"ENTRYPOINT [\\\"/app\\\"]\",\"empty_layer\":true}]}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configDigest = blob(repository, configBytes);
        List<String> layers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            byte[] layer = ("layer " + i + " of " + repository + " " + architecture + " " + seed).repeat(50 * (i + 1))
                    .getBytes(StandardCharsets.UTF_8);
            layers.add("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + blob(repository, layer)
                    + "\",\"size\":" + layer.length + "}");
        }
        return manifest(repository, reference, OCI_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + configBytes.length + "},\"layers\":[" + String.join(",", layers) + "]}");
    }

    /** An index of an amd64 and an arm64 image, tagged {@code tag}. */
    Pushed index(String repository, String tag) {
        Pushed amd64 = image(repository, "amd64-build", "amd64", 11);
        Pushed arm64 = image(repository, "arm64-build", "arm64", 12);
        String children = amd64.descriptor(OCI_MANIFEST).replace("}", ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}")
                + "," + arm64.descriptor(OCI_MANIFEST).replace("}", ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}");
        return manifest(repository, tag, OCI_INDEX, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX
                + "\",\"manifests\":[" + children + "]}");
    }

    /** An SBOM attached to {@code subject}, a manifest of {@code mediaType}, as a referrer (OCI 1.1 artifact manifest). */
    Pushed sbom(String repository, Pushed subject, String mediaType) {
        return referrer(repository, subject.descriptor(mediaType), "application/spdx+json",
                "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"app\"}");
    }

    /**
     * An artifact of {@code artifactType} holding {@code document}, attached as a referrer to the manifest
     * {@code subjectDescriptor} describes (as oras attach or cosign do, by digest only).
     */
    Pushed referrer(String repository, String subjectDescriptor, String artifactType, String document) {
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        String emptyDigest = blob(repository, empty);
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        String documentDigest = blob(repository, bytes);
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"" + artifactType
                + "\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + emptyDigest
                + "\",\"size\":2},\"layers\":[{\"mediaType\":\"" + artifactType + "\",\"digest\":\"" + documentDigest
                + "\",\"size\":" + bytes.length + "}],\"subject\":" + subjectDescriptor
                + ",\"annotations\":{\"org.opencontainers.image.created\":\"2026-02-03T04:05:06Z\"}}";
        return manifest(repository, Sha256.digest(json.getBytes(StandardCharsets.UTF_8)), OCI_MANIFEST, json);
    }

    private String[] headers(String... pairs) {
        if (authorization == null) {
            return pairs;
        }
        String[] all = new String[pairs.length + 2];
        System.arraycopy(pairs, 0, all, 0, pairs.length);
        all[pairs.length] = "Authorization";
        all[pairs.length + 1] = authorization;
        return all;
    }
}
