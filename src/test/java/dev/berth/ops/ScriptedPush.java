package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * What a client does to push an image and pull it back, over real HTTP: a config blob in one request, a layer
 * in two chunks, the manifest, then a pull of the manifest and the layer, and of a tag that does not exist (a
 * 404, so error panels have a series). Tests of the metrics run it to have every kind of event happen once.
 */
record ScriptedPush(BerthServer berth, HttpClient http) {

    ScriptedPush(BerthServer berth) {
        this(berth, HttpClient.newHttpClient());
    }

    /** Pushes {@code repository:latest} and pulls its layer; returns the layer's size. */
    long run(String repository) throws IOException, InterruptedException {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        expect(201, send("POST", "/v2/" + repository + "/blobs/uploads/?digest=" + Sha256.digest(config), config));

        byte[] layer = new byte[3000];
        new Random(3000).nextBytes(layer);
        HttpResponse<String> opened = send("POST", "/v2/" + repository + "/blobs/uploads/", new byte[0]);
        expect(202, opened);
        String location = opened.headers().firstValue("Location").orElseThrow();
        expect(202, send("PATCH", location, Arrays.copyOfRange(layer, 0, 1000)));
        expect(202, send("PATCH", location, Arrays.copyOfRange(layer, 1000, layer.length)));
        expect(201, send("PUT", location + "?digest=" + Sha256.digest(layer), new byte[0]));

        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + Sha256.digest(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + Sha256.digest(layer) + "\",\"size\":"
                + layer.length + "}]}";
        HttpRequest put = request("/v2/" + repository + "/manifests/latest")
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build();
        expect(201, http.send(put, HttpResponse.BodyHandlers.ofString()));

        expect(200, send("GET", "/v2/" + repository + "/manifests/latest", null));
        HttpResponse<byte[]> pulled = http.send(request("/v2/" + repository + "/blobs/" + Sha256.digest(layer))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(layer);
        expect(404, send("GET", "/v2/" + repository + "/manifests/no-such-tag", null));
        return layer.length;
    }

    private HttpResponse<String> send(String method, String path, byte[] body)
            throws IOException, InterruptedException {
        return http.send(request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(berth.uri(path));
    }

    private static void expect(int status, HttpResponse<String> response) {
        assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.request().uri(),
                response.body()).isEqualTo(status);
    }
}
