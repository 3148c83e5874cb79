package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.storage.StorageDriver;
import dev.berth.support.Azurite;
import dev.berth.support.Http;
import dev.berth.support.RandomBytes;
import dev.berth.support.RawHttp;
import dev.berth.support.Sha256;
import dev.berth.support.SharedBerth;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small client of the registry API for the HTTP tests: real requests over a socket to the shared Berth,
 * plus the assertions every test needs (status, the spec's JSON error body, the API version header).
 */
final class RegistryHttp {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    /** The OCI empty descriptor's content, {@code {}}. */
    static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);
    static final String EMPTY_JSON_DIGEST = Sha256.digest(EMPTY_JSON);
    static final String EMPTY_BLOB_DIGEST = Sha256.digest(new byte[0]);

    static final String API_VERSION_HEADER = "Docker-Distribution-API-Version";
    static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    static final JsonMapper JSON = JsonMapper.builder().build();

    private RegistryHttp() {
    }

    // ---------------------------------------------------------------- names and content

    /** A repository name of this test's own: {@code prefix-<random>}. */
    static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(String digest) {
        return digest.substring("sha256:".length());
    }

    // ---------------------------------------------------------------- requests

    static URI uri(String pathAndQuery) {
        return SharedBerth.get().uri(pathAndQuery);
    }

    static HttpRequest.Builder request(String method, String pathAndQuery, byte[] body) {
        return Http.request(method, uri(pathAndQuery), body);
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        return Http.send(request);
    }

    /** Sends {@code method path} with an optional body and {@code name, value} header pairs. */
    static HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] body, String... headers) {
        return Http.send(method, uri(pathAndQuery), body, headers);
    }

    static HttpResponse<byte[]> get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    static HttpResponse<byte[]> head(String path, String... headers) {
        return send("HEAD", path, null, headers);
    }

    static HttpResponse<byte[]> delete(String path) {
        return send("DELETE", path, null);
    }

    static HttpResponse<byte[]> post(String path, byte[] body, String... headers) {
        return send("POST", path, body == null ? new byte[0] : body, headers);
    }

    static HttpResponse<byte[]> put(String path, byte[] body, String... headers) {
        return send("PUT", path, body == null ? new byte[0] : body, headers);
    }

    static HttpResponse<byte[]> patch(String path, byte[] body, String... headers) {
        return send("PATCH", path, body, headers);
    }

    // ---------------------------------------------------------------- registry operations

    /** Pushes a whole blob with one {@code POST ?digest=} and returns its digest. */
    static String pushBlob(String repository, byte[] content) {
        String digest = Sha256.digest(content);
        HttpResponse<byte[]> response = post("/v2/" + repository + "/blobs/uploads/?digest=" + digest, content,
                "Content-Type", "application/octet-stream");
        assertThat(response.statusCode()).as("push blob %s to %s: %s", digest, repository, text(response))
                .isEqualTo(201);
        return digest;
    }

    /** Starts an upload session and returns its Location (a path). */
    static String startUpload(String repository) {
        HttpResponse<byte[]> response = post("/v2/" + repository + "/blobs/uploads/", null);
        assertThat(response.statusCode()).as("start upload in %s: %s", repository, text(response)).isEqualTo(202);
        return header(response, "Location");
    }

    /** Pushes a manifest and returns the digest of its bytes. */
    static String pushManifest(String repository, String reference, String mediaType, String json) {
        return pushManifest(repository, reference, mediaType, utf8(json));
    }

    static String pushManifest(String repository, String reference, String mediaType, byte[] json) {
        HttpResponse<byte[]> response = putManifest(repository, reference, mediaType, json);
        assertThat(response.statusCode()).as("push manifest %s:%s: %s", repository, reference, text(response))
                .isEqualTo(201);
        String digest = Sha256.digest(json);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        return digest;
    }

    static HttpResponse<byte[]> putManifest(String repository, String reference, String mediaType, byte[] json) {
        return mediaType == null
                ? put("/v2/" + repository + "/manifests/" + reference, json)
                : put("/v2/" + repository + "/manifests/" + reference, json, "Content-Type", mediaType);
    }

    static HttpResponse<byte[]> putManifest(String repository, String reference, String mediaType, String json) {
        return putManifest(repository, reference, mediaType, utf8(json));
    }

    // ---------------------------------------------------------------- manifest content

    static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    /** An image manifest (OCI or Docker, by {@code mediaType}) over a config and layers given as descriptors. */
    static String imageManifest(String mediaType, String config, String... layers) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + mediaType + "\",\"config\":" + config
                + ",\"layers\":[" + String.join(",", layers) + "]}";
    }

    static String index(String mediaType, String... manifests) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + mediaType + "\",\"manifests\":["
                + String.join(",", manifests) + "]}";
    }

    /** A small image pushed to a repository: config and one layer blob, then the manifest under {@code tag}. */
    record Image(String repository, String mediaType, String json, String digest, String configDigest,
            String layerDigest) {

        byte[] bytes() {
            return utf8(json);
        }

        String descriptor() {
            return RegistryHttp.descriptor(mediaType, digest, bytes().length);
        }
    }

    static Image pushImage(String repository, String tag, String mediaType) {
        boolean docker = mediaType.equals(DOCKER_MANIFEST);
        byte[] config = utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"nonce\":\"" + UUID.randomUUID() + "\"}");
        byte[] layer = RandomBytes.randomBytes(300);
        String configDigest = pushBlob(repository, config);
        String layerDigest = pushBlob(repository, layer);
        String json = imageManifest(mediaType,
                descriptor(docker ? DOCKER_CONFIG : OCI_CONFIG, configDigest, config.length),
                descriptor(docker ? DOCKER_LAYER : OCI_LAYER, layerDigest, layer.length));
        String digest = pushManifest(repository, tag == null ? Sha256.digest(json) : tag, mediaType, json);
        return new Image(repository, mediaType, json, digest, configDigest, layerDigest);
    }

    // ---------------------------------------------------------------- assertions and reading

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    static String text(HttpResponse<byte[]> response) {
        return response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        return JSON.readTree(response.body());
    }

    /**
     * The response is the error the spec asks for: {@code status}, the API version header, a JSON body
     * {@code {"errors":[{"code":code,"message":...}]}} whose first error has {@code code}.
     */
    static void assertError(HttpResponse<byte[]> response, int status, String code) {
        String description = response.request().method() + " " + response.request().uri() + " -> " + text(response);
        assertThat(response.statusCode()).as("status of %s", description).isEqualTo(status);
        assertThat(header(response, API_VERSION_HEADER)).as("API version header of %s", description)
                .isEqualTo("registry/2.0");
        assertThat(header(response, "Content-Type")).as("Content-Type of %s", description)
                .startsWith("application/json");
        JsonNode body;
        try {
            body = json(response);
        } catch (RuntimeException e) {
            throw new AssertionError("error body of " + description + " is not JSON", e);
        }
        JsonNode errors = body.path("errors");
        assertThat(errors.isArray() && !errors.isEmpty()).as("errors array in %s", description).isTrue();
        assertThat(errors.get(0).path("code").asString()).as("error code of %s", description).isEqualTo(code);
        assertThat(errors.get(0).path("message").isString()).as("message in %s", description).isTrue();
    }

    /** For HEAD: the status and API version header of an error, which carries no body. */
    static void assertHeadError(HttpResponse<byte[]> response, int status) {
        assertThat(response.statusCode()).as("HEAD %s", response.request().uri()).isEqualTo(status);
        assertThat(header(response, API_VERSION_HEADER)).isEqualTo("registry/2.0");
        assertThat(response.body()).isEmpty();
    }

    // ---------------------------------------------------------------- raw HTTP

    /** The status and raw bytes of a response to a hand-written request. */
    record RawResponse(int status, String head, byte[] raw) {
    }

    /**
     * Sends a request exactly as written (request line, headers, body), for requests no HTTP client would
     * produce; reads until the server closes. {@code Connection: close} is added to the headers.
     */
    static RawResponse raw(String requestLineAndHeaders, byte[] body) {
        return raw(requestLineAndHeaders, body, false);
    }

    /**
     * As {@link #raw(String, byte[])}; with {@code halfClose} the client shuts its sending side after the
     * body, so a server waiting for more body bytes sees the end of the stream at once.
     */
    static RawResponse raw(String requestLineAndHeaders, byte[] body, boolean halfClose) {
        RawHttp.Response response = RawHttp.send(SharedBerth.get().port(), requestLineAndHeaders, body, halfClose);
        return new RawResponse(response.status(), response.head(), response.raw());
    }

    // ---------------------------------------------------------------- the store, through its driver

    /** The shared instance's store (filesystem or Azure), as Berth itself sees it. */
    static StorageDriver store() {
        return SharedBerth.store();
    }

    static String uploadFolder(String repository, String uploadId) {
        return "docker/registry/v2/repositories/" + repository + "/_uploads/" + uploadId;
    }

    static String blobData(String digest) {
        String hex = hex(digest);
        return "docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
    }

    /** Whether {@code path} is an object in the store. */
    static boolean isObject(String path) {
        return store().stat(path).isPresent();
    }

    /** Whether {@code path} is a folder holding something (the only kind of folder every store has). */
    static boolean isFolder(String path) {
        return !store().list(path).isEmpty();
    }

    /**
     * Whether nothing at all is left at {@code path}: no object, nothing under it, and on the filesystem not
     * even an empty folder (the one leftover only that store can have).
     */
    static boolean isAbsent(String path) {
        return !isObject(path) && !isFolder(path)
                && (!SharedBerth.isFilesystem() || !Files.exists(SharedBerth.root().resolve(path)));
    }

    /**
     * Every object and folder under {@code folder}, relative to it (not the folder itself), except Berth's
     * scratch and lock folders; empty when there is no such folder. On the filesystem this walks the folders
     * with the driver's {@code list}; on Azure, where a folder is only a name prefix and Azurite takes longer
     * for each listing the fuller the container gets, the same set comes from one flat listing of the blobs.
     */
    static Set<String> entries(String folder) {
        Set<String> found = new TreeSet<>();
        if (SharedBerth.isFilesystem()) {
            collect(folder, "", found);
        } else {
            for (String blob : Azurite.blobNames(SharedBerth.AZURE_CONTAINER, folder + "/")) {
                String relative = blob.substring(folder.length() + 1);
                for (int slash = relative.indexOf('/'); slash >= 0; slash = relative.indexOf('/', slash + 1)) {
                    found.add(relative.substring(0, slash));
                }
                found.add(relative);
            }
        }
        found.removeIf(path -> path.startsWith(".berth-tmp") || path.startsWith(".berth-locks"));
        return found;
    }

    private static void collect(String folder, String relative, Set<String> found) {
        for (String name : store().list(folder)) {
            String child = relative.isEmpty() ? name : relative + "/" + name;
            found.add(child);
            collect(folder + "/" + name, child, found);
        }
    }

    /** The id at the end of an upload Location. */
    static String uploadId(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }
}
