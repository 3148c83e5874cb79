package dev.berth.api;

import static dev.berth.api.RegistryHttp.API_VERSION_HEADER;
import static dev.berth.api.RegistryHttp.assertError;
import static dev.berth.api.RegistryHttp.entries;
import static dev.berth.api.RegistryHttp.get;
import static dev.berth.api.RegistryHttp.head;
import static dev.berth.api.RegistryHttp.header;
import static dev.berth.api.RegistryHttp.isAbsent;
import static dev.berth.api.RegistryHttp.pushBlob;
import static dev.berth.api.RegistryHttp.send;
import static dev.berth.api.RegistryHttp.store;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.api.RegistryHttp.utf8;
import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.Image;
import dev.berth.support.Sha256;
import dev.berth.support.SharedBerth;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The base endpoint, routing (unknown routes, wrong methods) and the repository name rules. */
@Timeout(30)
class BaseRouteApiTest {

    private static final String DIGEST = Sha256.digest("base-route-test");

    /** Starts the shared Berth (and its store) here, outside any test's timeout. */
    @BeforeAll
    static void startTheSharedBerth() {
        SharedBerth.get();
    }

    @Test
    void getV2WithSlashAnswers200WithApiVersionHeader() {
        HttpResponse<byte[]> response = get("/v2/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, API_VERSION_HEADER)).isEqualTo("registry/2.0");
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }

    @Test
    void getV2WithoutSlashAnswers200WithApiVersionHeader() {
        HttpResponse<byte[]> response = get("/v2");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, API_VERSION_HEADER)).isEqualTo("registry/2.0");
    }

    @Test
    void headV2Answers200WithoutBody() {
        HttpResponse<byte[]> response = head("/v2/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, API_VERSION_HEADER)).isEqualTo("registry/2.0");
        assertThat(response.body()).isEmpty();
    }

    @Test
    void errorResponsesCarryTheApiVersionHeader() {
        String name = uniqueName("base-errors");
        // assertError checks the header on each of them.
        assertError(get("/v2/" + name + "/blobs/" + DIGEST), 404, "BLOB_UNKNOWN");
        assertError(get("/v2/" + name + "/no-such-route"), 404, "UNSUPPORTED");
        assertError(get("/v2/Bad/tags/list"), 400, "NAME_INVALID");
        assertError(send("PUT", "/v2/", new byte[0]), 405, "UNSUPPORTED");
    }

    @Test
    void successfulResponsesOfEveryRouteCarryTheApiVersionHeader() {
        String name = uniqueName("base-header");
        byte[] content = randomBytes(16);
        String digest = Sha256.digest(content);
        List<HttpResponse<byte[]>> responses = new ArrayList<>();
        HttpResponse<byte[]> started = send("POST", "/v2/" + name + "/blobs/uploads/", new byte[0]);
        String location = header(started, "Location");
        responses.add(started);
        responses.add(send("PATCH", location, content));
        responses.add(get(location));
        responses.add(send("PUT", location + "?digest=" + digest, new byte[0]));
        responses.add(get("/v2/" + name + "/blobs/" + digest));
        responses.add(head("/v2/" + name + "/blobs/" + digest));
        Image image = RegistryHttp.pushImage(name, "v1", RegistryHttp.OCI_MANIFEST);
        responses.add(RegistryHttp.putManifest(name, "v2", RegistryHttp.OCI_MANIFEST, image.json()));
        responses.add(get("/v2/" + name + "/manifests/v1"));
        responses.add(head("/v2/" + name + "/manifests/v1"));
        responses.add(get("/v2/" + name + "/tags/list"));
        responses.add(get("/v2/_catalog?n=1"));
        responses.add(get("/v2/" + name + "/referrers/" + image.digest()));
        responses.add(send("DELETE", "/v2/" + name + "/manifests/v2", null));
        responses.add(send("DELETE", "/v2/" + name + "/blobs/" + digest, null));

        for (HttpResponse<byte[]> response : responses) {
            assertThat(response.statusCode()).as("%s %s", response.request().method(), response.request().uri())
                    .isLessThan(300);
            assertThat(header(response, API_VERSION_HEADER))
                    .as("%s %s", response.request().method(), response.request().uri()).isEqualTo("registry/2.0");
        }
    }

    @ParameterizedTest(name = "GET {0}")
    @CsvSource({
            "/v2/x/no-such-route",
            "/v2/_catalogue",
            "/v2/x/manifests/",
            "/v2/x/tags",
            "/v2/x/tags/list/extra",
            "/v2/x/referrers/",
            "/v2/x/blobs/sha256:aa/extra",
    })
    void unknownRouteUnderV2Is404Unsupported(String path) {
        assertError(get(path), 404, "UNSUPPORTED");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "PUT    | /v2/x/blobs/" + "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                    + " | GET,HEAD,DELETE",
            "POST   | /v2/x/blobs/" + "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                    + " | GET,HEAD,DELETE",
            "POST   | /v2/                     | GET,HEAD",
            "DELETE | /v2/                     | GET,HEAD",
            "DELETE | /v2/x/tags/list          | GET",
            "POST   | /v2/_catalog             | GET",
            "PATCH  | /v2/x/manifests/latest   | GET,HEAD,PUT,DELETE",
            "POST   | /v2/x/manifests/latest   | GET,HEAD,PUT,DELETE",
            "GET    | /v2/x/blobs/uploads/     | POST",
            "PUT    | /v2/x/blobs/uploads/     | POST",
            "POST   | /v2/x/blobs/uploads/" + "00000000-0000-0000-0000-000000000000 | GET,PATCH,PUT,DELETE",
            "HEAD   | /v2/x/blobs/uploads/" + "00000000-0000-0000-0000-000000000000 | GET,PATCH,PUT,DELETE",
            "DELETE | /v2/x/referrers/" + "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                    + " | GET",
    })
    void wrongMethodIs405UnsupportedWithAllowHeader(String method, String path, String allowed) {
        HttpResponse<byte[]> response = send(method, path.trim(), method.equals("GET") || method.equals("HEAD")
                ? null : new byte[0]);

        if (method.equals("HEAD")) {
            RegistryHttp.assertHeadError(response, 405);
        } else {
            assertError(response, 405, "UNSUPPORTED");
        }
        String allow = header(response, "Allow");
        assertThat(allow).as("Allow header").isNotNull();
        assertThat(Arrays.stream(allow.split(",")).map(String::trim).collect(Collectors.toSet()))
                .isEqualTo(Set.of(allowed.trim().split(",")));
    }

    @Test
    void multiSegmentRepositoryNameWorks() {
        String name = uniqueName("team") + "/app/api";
        byte[] content = randomBytes(64);

        String digest = pushBlob(name, content);
        HttpResponse<byte[]> response = get("/v2/" + name + "/blobs/" + digest);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(content);
        assertThat(store().stat("docker/registry/v2/repositories/" + name
                + "/_layers/sha256/" + RegistryHttp.hex(digest) + "/link")).isPresent();
    }

    @Test
    void nameOfExactly255CharactersIsAccepted() {
        String prefix = uniqueName("long");
        String name = prefix + "/" + "a".repeat(255 - prefix.length() - 1);
        assertThat(name).hasSize(255);

        String digest = pushBlob(name, utf8("long name"));

        assertThat(get("/v2/" + name + "/blobs/" + digest).statusCode()).isEqualTo(200);
    }

    @Test
    void invalidRepositoryNamesAreNameInvalidAndCreateNothing() {
        String marker = newMarker();
        Set<String> before = registryEntries();

        sendWithInvalidNames(marker);

        Set<String> after = registryEntries();
        assertThat(after).as("store entries after requests with invalid names").isEqualTo(before);
        assertThat(after).noneMatch(path -> path.contains(marker));
    }

    @Test
    void invalidRepositoryNamesCreateNothingOutsideTheRegistryLayout() {
        Assumptions.assumeTrue(SharedBerth.isFilesystem(),
                "only a folder store has an outside (its root's other entries and its parent folder) to escape to");
        Path root = SharedBerth.root();
        String marker = newMarker();
        Set<String> before = namesIn(root);
        assertThat(namesNextTo(root, marker)).as("entries named for the test next to the store, before").isEmpty();

        sendWithInvalidNames(marker);

        assertThat(namesIn(root)).as("entries directly in the store root after requests with invalid names")
                .isEqualTo(before);
        assertThat(namesNextTo(root, marker)).as("entries named for the test next to the store").isEmpty();
    }

    private static String newMarker() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Every route that takes a repository name, with names that break the rules in each way, all refused. */
    private static void sendWithInvalidNames(String marker) {
        List<String> names = List.of(
                "Upper" + marker + "/Case",
                "a" + marker + "/../b" + marker,
                "a" + marker + "//b",
                "-lead" + marker,
                "trail" + marker + "-",
                "x" + marker + "/.hidden",
                "x" + marker + "/" + "b".repeat(255));
        for (String name : names) {
            // A path the servlet container would rewrite (dot segments, empty segments) is refused before
            // its name is even looked at.
            String code = name.contains("/../") || name.contains("//") ? "UNSUPPORTED" : "NAME_INVALID";
            byte[] content = utf8("payload " + name);
            String digest = Sha256.digest(content);
            assertError(send("POST", "/v2/" + name + "/blobs/uploads/?digest=" + digest, content), 400, code);
            assertError(send("POST", "/v2/" + name + "/blobs/uploads/", new byte[0]), 400, code);
            assertError(send("PUT", "/v2/" + name + "/manifests/latest", utf8("{}"),
                    "Content-Type", RegistryHttp.OCI_MANIFEST), 400, code);
            assertError(get("/v2/" + name + "/tags/list"), 400, code);
            assertError(get("/v2/" + name + "/blobs/" + digest), 400, code);
            assertError(get("/v2/" + name + "/manifests/latest"), 400, code);
            assertError(get("/v2/" + name + "/referrers/" + digest), 400, code);
        }
    }

    /**
     * What the registry keeps in the store: everything under {@code docker/}, the root of the Distribution
     * layout (the store root's own entries, which no store lists, are checked on the filesystem only).
     */
    private static Set<String> registryEntries() {
        return entries("docker");
    }

    /**
     * The entries directly in the store root, leaving out Berth's own bookkeeping (the upload purge's lock)
     * and its scratch and lock folders.
     */
    private static Set<String> namesIn(Path root) {
        try (Stream<Path> children = Files.list(root)) {
            return children.map(path -> path.getFileName().toString())
                    .filter(name -> !name.equals("berth") && !name.startsWith(".berth-tmp")
                            && !name.startsWith(".berth-locks"))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names containing {@code marker} in the store root's parent folder (where an escape would land). */
    private static List<String> namesNextTo(Path root, String marker) {
        try (Stream<Path> children = Files.list(root.getParent())) {
            return children.map(path -> path.getFileName().toString()).filter(name -> name.contains(marker))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void nameOf256CharactersIsNameInvalid() {
        String prefix = uniqueName("toolong");
        String name = prefix + "/" + "a".repeat(256 - prefix.length() - 1);
        assertThat(name).hasSize(256);
        byte[] content = utf8("too long");

        assertError(send("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(content), content), 400,
                "NAME_INVALID");
        assertThat(isAbsent("docker/registry/v2/repositories/" + prefix)).isTrue();
    }
}
