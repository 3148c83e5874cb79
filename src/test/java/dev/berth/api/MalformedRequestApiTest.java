package dev.berth.api;

import static dev.berth.api.RegistryHttp.OCI_MANIFEST;
import static dev.berth.api.RegistryHttp.pushImage;
import static dev.berth.api.RegistryHttp.raw;
import static dev.berth.api.RegistryHttp.startUpload;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.api.RegistryHttp.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.Image;
import dev.berth.api.RegistryHttp.RawResponse;
import dev.berth.support.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No request, however malformed, may make Berth answer 5xx: batches of odd requests written byte by byte on a
 * socket (bad methods, bad escapes, odd headers, broken bodies), each batch reporting every offender.
 */
@Timeout(60)
class MalformedRequestApiTest {

    private static final String ZERO_DIGEST = "sha256:" + "0".repeat(64);

    private static String name;
    private static Image image;
    private static String blobPath;

    @BeforeAll
    static void pushSomething() {
        name = uniqueName("odd");
        image = pushImage(name, "v1", OCI_MANIFEST);
        blobPath = "/v2/" + name + "/blobs/" + image.layerDigest();
    }

    /** One request as sent on the wire: request line and headers (Host and Connection are added), body. */
    private record Case(String description, String head, byte[] body, boolean halfClose) {
    }

    private static Case request(String method, String target, String headers, byte[] body) {
        StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
        if (headers != null && !headers.isEmpty()) {
            head.append(headers.endsWith("\r\n") ? headers : headers + "\r\n");
        }
        boolean framed = headers != null && (headers.toLowerCase().contains("content-length:")
                || headers.toLowerCase().contains("transfer-encoding:"));
        if (body != null && !framed) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        String shownBody = body == null || body.length == 0 ? ""
                : " body " + abbreviate(new String(body, StandardCharsets.ISO_8859_1));
        return new Case(method + " " + abbreviate(target) + (headers == null ? "" : " [" + abbreviate(headers) + "]")
                + shownBody, head.toString(), body, false);
    }

    private static Case request(String method, String target) {
        return request(method, target, null, null);
    }

    private static String abbreviate(String text) {
        String flat = text.replace("\r\n", " | ");
        return flat.length() <= 160 ? flat : flat.substring(0, 140) + "...(" + flat.length() + " chars)";
    }

    /** Sends every case and fails listing each one answered 5xx (or not answered at all). */
    private static void assertNoServerErrors(List<Case> cases) {
        List<String> offenders = new ArrayList<>();
        for (Case c : cases) {
            RawResponse response;
            try {
                response = raw(c.head(), c.body(), c.halfClose());
            } catch (RuntimeException e) {
                offenders.add(c.description() + " -> no answer: " + e);
                continue;
            }
            if (response.status() < 100 || response.status() >= 500) {
                String text = new String(response.raw(), StandardCharsets.ISO_8859_1);
                int bodyStart = text.indexOf("\r\n\r\n");
                offenders.add(c.description() + " -> " + response.head().lines().findFirst().orElse("(nothing)")
                        + (bodyStart < 0 ? "" : " " + abbreviate(text.substring(bodyStart + 4))));
            }
        }
        assertThat(offenders).as("requests answered with a server error (of %d sent)", cases.size()).isEmpty();
        // And the registry still serves after them.
        assertThat(RegistryHttp.get("/v2/").statusCode()).isEqualTo(200);
        assertThat(RegistryHttp.get("/v2/" + name + "/manifests/v1").body()).isEqualTo(image.bytes());
    }

    @Test
    void oddMethodsAndPathsNeverGetA5xx() {
        assertNoServerErrors(List.of(
                request("GET", "/"),
                request("GET", "/favicon.ico"),
                request("GET", "/v3/"),
                request("POST", "/", null, new byte[0]),
                request("PATCH", "/V2/" + name.toUpperCase() + "/BLOBS/UPLOADS/", null, new byte[0]),
                request("FOO", "/v2/"),
                request("PROPFIND", "/v2/" + name + "/tags/list"),
                request("get", "/v2/"),
                request("OPTIONS", "/v2/" + name + "/manifests/v1"),
                request("OPTIONS", "*"),
                request("TRACE", "/v2/"),
                request("HEAD", "/v2/_catalog"),
                request("PATCH", "/v2/" + name + "/blobs/uploads/", null, new byte[0]),
                request("DELETE", "/v2/" + name + "/blobs/uploads/"),
                request("GET", "/v2/a%zz/tags/list"),
                request("GET", "/v2/%/tags/list"),
                request("GET", "/v2/" + name + "/manifests/%ff%fe"),
                request("GET", "/v2/" + name + "/manifests/%zz"),
                request("GET", "/v2/x%00y/tags/list"),
                request("GET", "/v2/x%2Fy/tags/list"),
                request("GET", "/v2/x%2fy/blobs/uploads/"),
                request("GET", "/v2/" + name + "/blobs/sha256%3A" + "0".repeat(64)),
                request("GET", "/v2/../../etc/passwd"),
                request("GET", "/v2/x/../../../../tmp/tags/list"),
                request("GET", "/v2/x/%2e%2e/%2e%2e/tags/list"),
                request("GET", "/v2/x;a=b/tags/list"),
                request("GET", "/v2/" + name + "/manifests/v1;jsessionid=1"),
                request("GET", "/v2//tags/list"),
                request("GET", "/v2///"),
                request("GET", "/v2/_catalog/"),
                request("GET", "/v2/" + name + "/manifests/:"),
                request("GET", "/v2/" + name + "/manifests/a:b"),
                request("GET", "/v2/" + name + "/manifests/sha256:"),
                request("GET", "/v2/" + name + "/manifests/" + "t".repeat(300)),
                request("GET", "/v2/" + name + "/blobs/"),
                request("GET", "/v2/" + name + "/blobs/:"),
                request("GET", "/v2/" + name + "/blobs/sha256:"),
                request("GET", "/v2/" + name + "/blobs/sha512:" + "0".repeat(128)),
                request("GET", "/v2/" + name + "/referrers/sha256:"),
                request("GET", "/v2/" + name + "/referrers/" + image.digest() + "?artifactType=%zz"),
                request("GET", "/v2/" + name + "/referrers/" + image.digest() + "?artifactType="),
                request("GET", "/v2/" + "a/".repeat(1500) + "tags/list"),
                request("GET", "/v2/_catalog?n=%zz&last=%"),
                request("GET", "/v2/_catalog?n=&last="),
                request("GET", "/v2/_catalog?n=99999999999999999999"),
                request("GET", "/v2/_catalog?n=2147483647"),
                request("GET", "/v2/_catalog?last=%ff%fe"),
                request("GET", "/v2/_catalog?last=" + "z".repeat(5000)),
                request("GET", "/v2/_catalog?&&&=&n"),
                request("GET", "/v2/" + name + "/tags/list?n=0"),
                request("GET", "/v2/_catalog?n=0"),
                request("GET", "/v2/" + name + "/tags/list?n=2147483647&last=" + "%".repeat(10)),
                new Case("GET /v2/ over HTTP/1.0", "GET /v2/ HTTP/1.0\r\n", null, false),
                new Case("GET /v2/" + name + "/tags/list over HTTP/1.0", "GET /v2/" + name + "/tags/list HTTP/1.0\r\n",
                        null, false)));
    }

    @Test
    void oddUploadRequestsNeverGetA5xx() {
        String location = startUpload(name);
        String other = startUpload(name);
        byte[] ten = utf8("0123456789");
        assertNoServerErrors(List.of(
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=", null, new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=sha256:", null, new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=%zz", null, new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?mount=&from=", null, new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?mount=" + ZERO_DIGEST + "&from=", null, new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?mount=" + ZERO_DIGEST + "&from=%2e%2e", null,
                        new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?mount=" + image.layerDigest() + "&from=" + name
                        + "&digest=" + ZERO_DIGEST, null, ten),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Content-Type: multipart/form-data; boundary=xyz", ten),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Content-Type: application/x-www-form-urlencoded", ten),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Expect: 100-continue", ten),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Transfer-Encoding: chunked", utf8("a\r\n0123456789\r\n0\r\n\r\n")),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Transfer-Encoding: chunked", utf8("zz\r\n0123456789\r\n0\r\n\r\n")),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Content-Length: 10\r\nTransfer-Encoding: chunked", utf8("a\r\n0123456789\r\n0\r\n\r\n")),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Content-Length: -5", new byte[0]),
                request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(ten),
                        "Content-Length: abc", new byte[0]),
                request("PUT", "/v2/" + name + "/blobs/" + ZERO_DIGEST, null, ten),
                request("PATCH", location, "Content-Range: 0-18446744073709551615", ten),
                request("PATCH", location, "Content-Range: 0-9223372036854775807", ten),
                request("PATCH", location, "Content-Range: 0-9223372036854775807\r\nTransfer-Encoding: chunked",
                        utf8("a\r\n0123456789\r\n0\r\n\r\n")),
                request("PATCH", location, "Content-Range: bytes=0-", ten),
                request("PATCH", location, "Content-Range: -", ten),
                request("PATCH", location, "Content-Range: ", ten),
                request("PATCH", location, "Content-Range: 0-9\r\nContent-Range: 10-19", ten),
                request("PATCH", location, "Content-Range: bytes */10", ten),
                request("PATCH", location, "Content-Type: multipart/form-data; boundary=xyz", ten),
                request("PATCH", location, "Content-Type: multipart/form-data; boundary=xyz",
                        utf8("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--xyz--\r\n")),
                request("PATCH", location, "Content-Type: multipart/mixed", ten),
                request("PATCH", location, "Content-Type: application/x-www-form-urlencoded", utf8("a=b&c=%zz")),
                request("PUT", other + "?digest=" + Sha256.digest(ten), "Content-Type: text/plain; charset=nonsense", ten),
                request("PUT", other + "?digest=" + Sha256.digest(ten) + "&digest=" + ZERO_DIGEST, null, new byte[0]),
                request("PUT", other + "?digest", null, new byte[0]),
                request("PUT", other + "?digest=sha256%3A" + "0".repeat(64), null, new byte[0]),
                request("GET", location + "?_state=%zz"),
                request("DELETE", location + "x"),
                request("GET", "/v2/" + name + "/blobs/uploads/" + "f".repeat(5000))));
    }

    @Test
    void truncatedRequestBodiesNeverGetA5xx() {
        String location = startUpload(name);
        byte[] five = utf8("01234");
        List<Case> cases = List.of(
                new Case("POST ?digest= with Content-Length 10 and 5 bytes, then end of stream",
                        "POST /v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(utf8("0123456789"))
                                + " HTTP/1.1\r\nContent-Length: 10\r\n", five, true),
                new Case("PATCH with Content-Length 10 and 5 bytes, then end of stream",
                        "PATCH " + location + " HTTP/1.1\r\nContent-Length: 10\r\n", five, true),
                new Case("PATCH chunked, stream ends inside a chunk",
                        "PATCH " + location + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
                        utf8("a\r\n01234"), true),
                new Case("PUT manifest with Content-Length 100 and 5 bytes, then end of stream",
                        "PUT /v2/" + name + "/manifests/trunc HTTP/1.1\r\nContent-Length: 100\r\nContent-Type: "
                                + OCI_MANIFEST + "\r\n", utf8("{\"sch"), true));

        assertNoServerErrors(cases);
    }

    @Test
    void oddManifestRequestsNeverGetA5xx() {
        String path = "/v2/" + name + "/manifests/odd";
        String config = "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + image.configDigest() + "\",\"size\":1}";
        String prefix = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\"";
        String ct = "Content-Type: " + OCI_MANIFEST;
        assertNoServerErrors(List.of(
                request("PUT", path, "Content-Type: ", utf8(image.json())),
                request("PUT", path, "Content-Type: ;;;", utf8(image.json())),
                request("PUT", path, "Content-Type: " + OCI_MANIFEST + "; charset=bogus", utf8(image.json())),
                request("PUT", path, "Content-Type: multipart/form-data; boundary=x", utf8(image.json())),
                request("PUT", path, ct, utf8("[".repeat(10_000) + "]".repeat(10_000))),
                request("PUT", path, ct, utf8("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000))),
                request("PUT", path, ct, utf8("{\"schemaVersion\":1e400}")),
                request("PUT", path, ct, utf8("{\"schemaVersion\":2.5}")),
                request("PUT", path, ct, utf8("{\"schemaVersion\":-2}")),
                request("PUT", path, ct, utf8("{\"schemaVersion\":3000000000}")),
                request("PUT", path, ct, utf8("{\"schemaVersion\":99999999999999999999999}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":{\"digest\":\"" + image.configDigest()
                        + "\",\"size\":1e30},\"layers\":[]}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":{\"digest\":\"" + image.configDigest()
                        + "\",\"size\":99999999999999999999999},\"layers\":[]}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"layers\":[null]}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"layers\":[1,2]}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"layers\":null}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"subject\":null}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"subject\":\"x\"}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"subject\":{}}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"annotations\":[]}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + ",\"artifactType\":7}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":[]}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":{\"digest\":\"" + image.configDigest()
                        + "\"}}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":{\"digest\":7,\"size\":1}}")),
                request("PUT", path, ct, utf8(prefix + ",\"config\":" + config + "} trailing")),
                request("PUT", path, ct, utf8("{\"schemaVersion\":2,\"schemaVersion\":2}")),
                request("PUT", path, ct, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 0}),
                request("PUT", path, ct, utf8("\uFEFF" + image.json())),
                request("PUT", path, "Content-Type: " + RegistryHttp.OCI_INDEX,
                        utf8("{\"schemaVersion\":2,\"manifests\":null}")),
                request("PUT", path, "Content-Type: " + RegistryHttp.OCI_INDEX,
                        utf8("{\"schemaVersion\":2,\"manifests\":[{}]}")),
                request("PUT", path, "Content-Type: " + RegistryHttp.OCI_INDEX,
                        utf8("{\"schemaVersion\":2,\"manifests\":{\"a\":1}}")),
                request("PUT", "/v2/" + name + "/manifests/:", ct, utf8(image.json())),
                request("PUT", "/v2/" + name + "/manifests/a:b", ct, utf8(image.json())),
                request("PUT", "/v2/" + name + "/manifests/sha256:" + "A".repeat(64), ct, utf8(image.json())),
                request("PUT", path, "Transfer-Encoding: chunked\r\n" + ct, utf8("0\r\n\r\n")),
                request("DELETE", "/v2/" + name + "/manifests/:"),
                request("DELETE", "/v2/" + name + "/manifests/sha256:"),
                request("GET", "/v2/" + name + "/manifests/v1", "Accept: ,,,;;;", null),
                request("GET", "/v2/" + name + "/manifests/v1", "Accept: */*;q=abc", null),
                request("GET", "/v2/" + name + "/manifests/v1", "Accept: text/", null),
                request("GET", "/v2/" + name + "/manifests/v1", "Accept: " + "a/b, ".repeat(1000) + "*/*", null),
                request("GET", "/v2/" + name + "/manifests/nope", "Accept: application/xml", null)));
    }

    /**
     * Requests Tomcat refuses before any of Berth's code runs are answered with the registry's JSON error body
     * and API version header too, never an HTML page.
     */
    @Test
    void refusalsOfTheServletContainerSpeakTheProtocol() {
        List<Case> cases = List.of(
                request("GET", "/v2/a%2Fb/tags/list"),
                request("GET", "/v2/a%00b/tags/list"),
                request("GET", "/v2/a\\b/tags/list"),
                new Case("raw non-ASCII bytes in the path", "GET /v2/caf\u00e9/tags/list HTTP/1.1\r\n", null, false),
                request("GET", "/v2/x/%2e%2e/%2e%2e/tags/list"),
                request("GET", "/v2/" + name + "/tags/list?last=[x]"),
                request("GET", "/v2/" + name + "/manifests/v1", "Accept: application/json\u0001", null),
                request("GET", "/v2/" + name + "/manifests/v1", "Bad Header Line", null));
        List<String> offenders = new ArrayList<>();
        for (Case c : cases) {
            RawResponse response = raw(c.head(), c.body(), c.halfClose());
            String text = new String(response.raw(), StandardCharsets.ISO_8859_1);
            String body = text.substring(text.indexOf("\r\n\r\n") + 4);
            boolean json = response.head().toLowerCase().contains("content-type: application/json")
                    && body.startsWith("{\"errors\":[{\"code\":\"");
            boolean versioned = response.head().contains("Docker-Distribution-API-Version: registry/2.0");
            if (response.status() < 400 || response.status() >= 500 || !json || !versioned) {
                offenders.add(c.description() + " -> " + response.head().lines().findFirst().orElse("(nothing)") + " "
                        + abbreviate(body));
            }
        }
        assertThat(offenders).as("refusals without the registry's error body (of %d sent)", cases.size()).isEmpty();
    }

    @Test
    void oddHeadersNeverGetA5xx() {
        assertNoServerErrors(List.of(
                request("GET", blobPath, "Range: bytes=abc", null),
                request("GET", blobPath, "Range: bytes=--1", null),
                request("GET", blobPath, "Range: bytes=5-3", null),
                request("GET", blobPath, "Range: bytes=-0", null),
                request("GET", blobPath, "Range: bytes=-", null),
                request("GET", blobPath, "Range: bytes=", null),
                request("GET", blobPath, "Range: bytes=0-0,5-6", null),
                request("GET", blobPath, "Range: items=0-5", null),
                request("GET", blobPath, "Range: bytes=99999999999999999999-", null),
                request("GET", blobPath, "Range: bytes=-99999999999999999999", null),
                request("GET", blobPath, "Range: bytes=0-99999999999999999999", null),
                request("GET", blobPath, "Range: bytes= 1 - 2 ", null),
                request("GET", blobPath, "Range: bytes=1-2\r\nRange: bytes=3-4", null),
                request("HEAD", blobPath, "Range: bytes=999999-", null),
                request("GET", blobPath, "If-None-Match: \"" + image.layerDigest() + "\"", null),
                request("GET", blobPath, "If-Range: garbage\r\nRange: bytes=0-1", null),
                request("GET", "/v2/", "X-Junk: " + "a".repeat(7000), null),
                request("GET", "/v2/", "Accept: " + "x".repeat(6000), null),
                request("GET", "/v2/", manyHeaders(60), null),
                request("GET", "/v2/", "Content-Type: multipart/form-data; boundary=x", null),
                request("GET", "/v2/" + name + "/tags/list", "Content-Type: multipart/form-data; boundary=x",
                        utf8("--x--\r\n")),
                request("GET", "/v2/", "Authorization: Bearer %%%", null),
                request("GET", "/v2/", "Accept-Encoding: gzip;q=nonsense", null),
                request("GET", "/v2/", "Content-Length: 5", utf8("12345")),
                request("GET", "/v2/", "Expect: something-else", null),
                request("GET", "/v2/", "Connection: upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAA", null)));
    }

    private static String manyHeaders(int count) {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < count; i++) {
            headers.append("X-Header-").append(i).append(": value-").append(i).append("\r\n");
        }
        return headers.toString();
    }
}
