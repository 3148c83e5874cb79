package dev.berth.registry.proxy;

import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Images pushed over HTTP into a Berth that plays an upstream registry. */
final class UpstreamImages {

    private UpstreamImages() {
    }

    /** An image as pushed: its manifest, its digest, and its config and layers. */
    record Image(byte[] manifest, String digest, byte[] config, List<byte[]> layers) {
        List<byte[]> blobs() {
            List<byte[]> all = new ArrayList<>(List.of(config));
            all.addAll(layers);
            return all;
        }
    }

    /** A fresh image of a config and one layer of {@code layerSize} random bytes. */
    static Image image(int layerSize) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + Sha256.hex(randomBytes(8)) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = randomBytes(layerSize);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + Sha256.digest(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + Sha256.digest(layer) + "\",\"size\":"
                + layer.length + "}]}";
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        return new Image(bytes, Sha256.digest(bytes), config, List.of(layer));
    }

    /** Pushes {@code image} to {@code repository:tag}, with {@code headers} (name, value pairs) on each request. */
    static Image push(BerthServer upstream, String repository, String tag, Image image, String... headers) {
        for (byte[] blob : image.blobs()) {
            assertThat(Http.sendText("POST", upstream.uri("/v2/" + repository + "/blobs/uploads/?digest="
                    + Sha256.digest(blob)), blob, headers).statusCode()).isEqualTo(201);
        }
        List<String> withType = new ArrayList<>(List.of(headers));
        withType.addAll(List.of("Content-Type", "application/vnd.oci.image.manifest.v1+json"));
        assertThat(Http.sendText("PUT", upstream.uri("/v2/" + repository + "/manifests/" + tag), image.manifest(),
                withType.toArray(String[]::new)).statusCode()).isEqualTo(201);
        return image;
    }
}
