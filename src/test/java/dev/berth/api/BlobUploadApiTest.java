package dev.berth.api;

import static dev.berth.api.RegistryHttp.EMPTY_BLOB_DIGEST;
import static dev.berth.api.RegistryHttp.UUID_PATTERN;
import static dev.berth.api.RegistryHttp.assertError;
import static dev.berth.api.RegistryHttp.blobData;
import static dev.berth.api.RegistryHttp.delete;
import static dev.berth.api.RegistryHttp.get;
import static dev.berth.api.RegistryHttp.header;
import static dev.berth.api.RegistryHttp.isAbsent;
import static dev.berth.api.RegistryHttp.isFolder;
import static dev.berth.api.RegistryHttp.patch;
import static dev.berth.api.RegistryHttp.post;
import static dev.berth.api.RegistryHttp.pushBlob;
import static dev.berth.api.RegistryHttp.put;
import static dev.berth.support.RandomBytes.randomBytes;
import static dev.berth.api.RegistryHttp.startUpload;
import static dev.berth.api.RegistryHttp.store;
import static dev.berth.api.RegistryHttp.text;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.api.RegistryHttp.uploadFolder;
import static dev.berth.api.RegistryHttp.uploadId;
import static dev.berth.api.RegistryHttp.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.RawResponse;
import dev.berth.support.SharedBerth;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import dev.berth.support.Sha256;

/** Pushing blobs: monolithic, POST then PUT, streamed and chunked PATCH, status, cancel, mount. */
@Timeout(30)
class BlobUploadApiTest {

    private static final String OCTET_STREAM = "application/octet-stream";

    /** Starts the shared Berth (and its store) here, outside any test's timeout. */
    @BeforeAll
    static void startTheSharedBerth() {
        SharedBerth.get();
    }

    // ---------------------------------------------------------------- monolithic

    @Test
    void monolithicPostWithDigestCreatesBlob() {
        String name = uniqueName("upload-mono");
        byte[] content = randomBytes(1000);
        String digest = Sha256.digest(content);

        HttpResponse<byte[]> response = post("/v2/" + name + "/blobs/uploads/?digest=" + digest, content,
                "Content-Type", OCTET_STREAM);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/blobs/" + digest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void monolithicPostWithWrongDigestIsDigestInvalidAndStoresNothing() {
        String name = uniqueName("upload-mono-wrong");
        byte[] content = randomBytes(100);
        String claimed = Sha256.digest(utf8("something else"));

        assertError(post("/v2/" + name + "/blobs/uploads/?digest=" + claimed, content), 400, "DIGEST_INVALID");

        assertError(get("/v2/" + name + "/blobs/" + claimed), 404, "BLOB_UNKNOWN");
        assertError(get("/v2/" + name + "/blobs/" + Sha256.digest(content)), 404, "BLOB_UNKNOWN");
        assertThat(isAbsent(blobData(claimed))).isTrue();
        String uploads = "docker/registry/v2/repositories/" + name + "/_uploads";
        assertThat(RegistryHttp.entries(uploads)).as("no upload left in %s", uploads).isEmpty();
    }

    @ParameterizedTest(name = "digest={0}")
    @ValueSource(strings = {
            "sha256:xyz",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:",
            "",
    })
    void monolithicPostWithMalformedDigestIsDigestInvalid(String digest) {
        String name = uniqueName("upload-malformed");

        assertError(post("/v2/" + name + "/blobs/uploads/?digest=" + digest, new byte[0]), 400, "DIGEST_INVALID");
    }

    @Test
    void emptyBlobCanBePushedMonolithically() {
        String name = uniqueName("upload-empty");

        HttpResponse<byte[]> response = post("/v2/" + name + "/blobs/uploads/?digest=" + EMPTY_BLOB_DIGEST,
                new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(EMPTY_BLOB_DIGEST);
        HttpResponse<byte[]> read = get("/v2/" + name + "/blobs/" + EMPTY_BLOB_DIGEST);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(header(read, "Content-Length")).isEqualTo("0");
        assertThat(read.body()).isEmpty();
    }

    @Test
    void emptyBlobCanBePushedWithPostThenPut() {
        String name = uniqueName("upload-empty-put");
        String location = startUpload(name);

        HttpResponse<byte[]> response = put(location + "?digest=" + EMPTY_BLOB_DIGEST, new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + EMPTY_BLOB_DIGEST).statusCode()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- sessions

    @Test
    void postWithoutDigestStartsAnUploadSession() {
        String name = uniqueName("upload-start");

        HttpResponse<byte[]> response = post("/v2/" + name + "/blobs/uploads/", new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        String location = header(response, "Location");
        assertThat(location).matches("/v2/" + name + "/blobs/uploads/" + UUID_PATTERN);
        assertThat(header(response, "Docker-Upload-UUID")).isEqualTo(uploadId(location));
        assertThat(header(response, "Range")).isEqualTo("0-0");
        assertThat(response.body()).isEmpty();
        // A session that has received no data costs the store nothing, yet it is known.
        assertThat(isAbsent(uploadFolder(name, uploadId(location)))).isTrue();
        HttpResponse<byte[]> status = get(location);
        assertThat(status.statusCode()).as(text(status)).isEqualTo(204);
        assertThat(header(status, "Range")).isEqualTo("0-0");
    }

    @Test
    void eachPostStartsADistinctSession() {
        String name = uniqueName("upload-distinct");

        assertThat(startUpload(name)).isNotEqualTo(startUpload(name));
    }

    @Test
    void postThenPutWithWholeBodyCreatesBlob() {
        String name = uniqueName("upload-post-put");
        byte[] content = randomBytes(5000);
        String digest = Sha256.digest(content);
        String location = startUpload(name);

        HttpResponse<byte[]> response = put(location + "?digest=" + digest, content, "Content-Type", OCTET_STREAM);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/blobs/" + digest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    // ---------------------------------------------------------------- streamed PATCH

    @Test
    void streamedPatchesAppendAndReportTheRange() {
        String name = uniqueName("upload-stream");
        byte[] content = randomBytes(150);
        String location = startUpload(name);

        HttpResponse<byte[]> first = patch(location, Arrays.copyOfRange(content, 0, 100),
                "Content-Type", OCTET_STREAM);
        assertThat(first.statusCode()).as(text(first)).isEqualTo(202);
        assertThat(header(first, "Range")).isEqualTo("0-99");
        assertThat(header(first, "Location")).isEqualTo(location);
        assertThat(header(first, "Docker-Upload-UUID")).isEqualTo(uploadId(location));

        HttpResponse<byte[]> second = patch(header(first, "Location"), Arrays.copyOfRange(content, 100, 150),
                "Content-Type", OCTET_STREAM);
        assertThat(second.statusCode()).as(text(second)).isEqualTo(202);
        assertThat(header(second, "Range")).isEqualTo("0-149");

        String digest = Sha256.digest(content);
        HttpResponse<byte[]> done = put(header(second, "Location") + "?digest=" + digest, new byte[0]);
        assertThat(done.statusCode()).as(text(done)).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void streamedPatchWithChunkedTransferEncodingWorks() {
        String name = uniqueName("upload-chunked-te");
        byte[] content = randomBytes(70_000);
        String location = startUpload(name);

        HttpResponse<byte[]> response = RegistryHttp.send(HttpRequest.newBuilder(RegistryHttp.uri(location))
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(content)))
                .header("Content-Type", OCTET_STREAM));

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        assertThat(header(response, "Range")).isEqualTo("0-69999");
        String digest = Sha256.digest(content);
        assertThat(put(location + "?digest=" + digest, new byte[0]).statusCode()).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    // ---------------------------------------------------------------- chunked PATCH

    @Test
    void chunkedPatchesInOrderAreAccepted() {
        String name = uniqueName("upload-chunks");
        byte[] content = randomBytes(30);
        String location = startUpload(name);

        HttpResponse<byte[]> first = patch(location, Arrays.copyOfRange(content, 0, 10),
                "Content-Range", "0-9", "Content-Type", OCTET_STREAM);
        assertThat(first.statusCode()).as(text(first)).isEqualTo(202);
        assertThat(header(first, "Range")).isEqualTo("0-9");
        assertThat(header(first, "Location")).isEqualTo(location);

        HttpResponse<byte[]> second = patch(location, Arrays.copyOfRange(content, 10, 30),
                "Content-Range", "10-29", "Content-Type", OCTET_STREAM);
        assertThat(second.statusCode()).as(text(second)).isEqualTo(202);
        assertThat(header(second, "Range")).isEqualTo("0-29");

        String digest = Sha256.digest(content);
        assertThat(put(location + "?digest=" + digest, new byte[0]).statusCode()).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void chunkLeavingAGapIs416RangeInvalidWithCurrentRange() {
        String name = uniqueName("upload-gap");
        String location = startUpload(name);
        byte[] first = randomBytes(10);
        assertThat(patch(location, first, "Content-Range", "0-9").statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = patch(location, randomBytes(10), "Content-Range", "20-29");

        assertError(response, 416, "RANGE_INVALID");
        assertThat(header(response, "Range")).isEqualTo("0-9");
        assertThat(header(response, "Location")).isEqualTo(location);
        assertThat(header(get(location), "Range")).as("status after the refused chunk").isEqualTo("0-9");
        byte[] second = randomBytes(10);
        assertThat(patch(location, second, "Content-Range", "10-19").statusCode()).isEqualTo(202);
        commitAndReadBack(name, location, concat(first, second));
    }

    @Test
    void repeatedChunkIs416RangeInvalidWithCurrentRange() {
        String name = uniqueName("upload-repeat");
        String location = startUpload(name);
        byte[] chunk = randomBytes(10);
        assertThat(patch(location, chunk, "Content-Range", "0-9").statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = patch(location, chunk, "Content-Range", "0-9");

        assertError(response, 416, "RANGE_INVALID");
        assertThat(header(response, "Range")).isEqualTo("0-9");
        assertThat(header(response, "Location")).isEqualTo(location);
        // The upload still holds only the first copy.
        commitAndReadBack(name, location, chunk);
    }

    @Test
    void firstChunkNotStartingAtZeroIs416() {
        String name = uniqueName("upload-not-zero");
        String location = startUpload(name);

        HttpResponse<byte[]> response = patch(location, randomBytes(5), "Content-Range", "5-9");

        assertError(response, 416, "RANGE_INVALID");
        assertThat(header(response, "Location")).isEqualTo(location);
        assertThat(header(response, "Range")).isEqualTo("0-0");
    }

    @Test
    void contentRangeDisagreeingWithContentLengthIsSizeInvalid() {
        String name = uniqueName("upload-size");
        String location = startUpload(name);
        byte[] first = randomBytes(4);
        assertThat(patch(location, first, "Content-Range", "0-3").statusCode()).isEqualTo(202);

        // 10 bytes sent (Content-Length: 10) but the range announces 5.
        assertError(patch(location, randomBytes(10), "Content-Range", "4-8"), 400, "SIZE_INVALID");

        assertThat(header(get(location), "Range")).as("status after the refused chunk").isEqualTo("0-3");
        byte[] second = randomBytes(5);
        assertThat(patch(location, second, "Content-Range", "4-8").statusCode()).isEqualTo(202);
        commitAndReadBack(name, location, concat(first, second));
    }

    /** Commits the upload as {@code expected}'s digest and reads the blob back: every byte, none twice. */
    private static void commitAndReadBack(String name, String location, byte[] expected) {
        String digest = Sha256.digest(expected);
        HttpResponse<byte[]> committed = put(location + (location.contains("?") ? "&" : "?") + "digest=" + digest,
                new byte[0]);
        assertThat(committed.statusCode()).as(new String(committed.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        HttpResponse<byte[]> pulled = get("/v2/" + name + "/blobs/" + digest);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(expected);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    @ParameterizedTest(name = "Content-Range: {0}")
    @ValueSource(strings = {"garbage", "5", "0-", "-9", "9-0", "a-b", "0-9-10", "0..9", "99999999999999999999-1"})
    void garbageContentRangeIs416RangeInvalid(String contentRange) {
        String name = uniqueName("upload-garbage");
        String location = startUpload(name);

        assertError(patch(location, randomBytes(10), "Content-Range", contentRange), 416, "RANGE_INVALID");
        assertThat(header(get(location), "Range")).isEqualTo("0-0");
    }

    // ---------------------------------------------------------------- status and resume

    @Test
    void statusGetAnswers204WithRangeLocationAndUploadId() {
        String name = uniqueName("upload-status");
        String location = startUpload(name);
        assertThat(patch(location, randomBytes(42)).statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = get(location);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(204);
        assertThat(header(response, "Range")).isEqualTo("0-41");
        assertThat(header(response, "Location")).isEqualTo(location);
        assertThat(header(response, "Docker-Upload-UUID")).isEqualTo(uploadId(location));
        assertThat(response.body()).isEmpty();
    }

    @Test
    void uploadResumesWhereTheStatusSaysAfterTheClientForgot() {
        String name = uniqueName("upload-resume");
        byte[] content = randomBytes(100_000);
        String location = startUpload(name);
        assertThat(patch(location, Arrays.copyOfRange(content, 0, 33_333), "Content-Range", "0-33332")
                .statusCode()).isEqualTo(202);

        // The client lost track: it asks where the upload stands and continues from there.
        HttpResponse<byte[]> status = get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        String range = header(status, "Range");
        assertThat(range).isEqualTo("0-33332");
        int next = Integer.parseInt(range.substring(range.indexOf('-') + 1)) + 1;

        HttpResponse<byte[]> rest = patch(header(status, "Location"),
                Arrays.copyOfRange(content, next, 80_000), "Content-Range", next + "-79999");
        assertThat(rest.statusCode()).as(text(rest)).isEqualTo(202);
        assertThat(header(rest, "Range")).isEqualTo("0-79999");

        String digest = Sha256.digest(content);
        HttpResponse<byte[]> done = put(location + "?digest=" + digest, Arrays.copyOfRange(content, 80_000,
                content.length), "Content-Type", OCTET_STREAM);
        assertThat(done.statusCode()).as(text(done)).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    // ---------------------------------------------------------------- finishing

    @Test
    void putWithFinalChunkAndDigestCreatesBlob() {
        String name = uniqueName("upload-final-chunk");
        byte[] content = randomBytes(2048);
        String location = startUpload(name);
        assertThat(patch(location, Arrays.copyOfRange(content, 0, 1000), "Content-Range", "0-999").statusCode())
                .isEqualTo(202);

        String digest = Sha256.digest(content);
        HttpResponse<byte[]> response = put(location + "?digest=" + digest, Arrays.copyOfRange(content, 1000, 2048),
                "Content-Type", OCTET_STREAM);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/blobs/" + digest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void putWithoutDigestIsDigestInvalid() {
        String name = uniqueName("upload-no-digest");
        String location = startUpload(name);
        assertThat(patch(location, randomBytes(10)).statusCode()).isEqualTo(202);

        assertError(put(location, new byte[0]), 400, "DIGEST_INVALID");
        assertError(put(location + "?digest=", new byte[0]), 400, "DIGEST_INVALID");
    }

    @Test
    void putWithWrongDigestIsDigestInvalidAndDiscardsTheUpload() {
        String name = uniqueName("upload-wrong-digest");
        byte[] content = randomBytes(64);
        String location = startUpload(name);
        assertThat(patch(location, content).statusCode()).isEqualTo(202);
        String wrong = Sha256.digest(utf8("not the content"));

        assertError(put(location + "?digest=" + wrong, new byte[0]), 400, "DIGEST_INVALID");

        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(get("/v2/" + name + "/blobs/" + wrong), 404, "BLOB_UNKNOWN");
        assertError(patch(location, randomBytes(5)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertThat(isAbsent(uploadFolder(name, uploadId(location)))).as("the discarded upload").isTrue();
        assertThat(isAbsent(blobData(wrong))).isTrue();
    }

    @Test
    void putWithMalformedDigestIsDigestInvalid() {
        String name = uniqueName("upload-put-malformed");
        String location = startUpload(name);

        assertError(put(location + "?digest=sha256:xyz", randomBytes(3)), 400, "DIGEST_INVALID");
        assertError(put(location + "?digest=md5:d41d8cd98f00b204e9800998ecf8427e", new byte[0]), 400,
                "DIGEST_INVALID");
    }

    @Test
    void commitRemovesTheUploadFolderAndStoresTheBlobInDistributionLayout() throws IOException {
        String name = uniqueName("upload-layout");
        byte[] content = randomBytes(4096);
        String location = startUpload(name);
        String id = uploadId(location);
        assertThat(patch(location, Arrays.copyOfRange(content, 0, 1000)).statusCode()).isEqualTo(202);
        assertThat(patch(location, Arrays.copyOfRange(content, 1000, 4096)).statusCode()).isEqualTo(202);
        assertThat(isFolder(uploadFolder(name, id))).as("upload folder while in progress").isTrue();

        String digest = Sha256.digest(content);
        assertThat(put(location + "?digest=" + digest, new byte[0]).statusCode()).isEqualTo(201);

        assertThat(isAbsent(uploadFolder(name, id))).as("upload folder after commit").isTrue();
        assertThat(store().readAll(blobData(digest))).isEqualTo(content);
        assertThat(new String(store().readAll("docker/registry/v2/repositories/" + name + "/_layers/sha256/"
                + RegistryHttp.hex(digest) + "/link"), StandardCharsets.UTF_8)).isEqualTo(digest);
        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void multiMegabyteBlobInSeveralChunksKeepsEveryByte() throws IOException {
        String name = uniqueName("upload-large");
        byte[] content = randomBytes(3 * 1024 * 1024 + 123);
        String location = startUpload(name);
        int chunk = 1024 * 1024;
        for (int start = 0; start < content.length; start += chunk) {
            int end = Math.min(content.length, start + chunk);
            HttpResponse<byte[]> response = patch(location, Arrays.copyOfRange(content, start, end),
                    "Content-Range", start + "-" + (end - 1));
            assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
            assertThat(header(response, "Range")).isEqualTo("0-" + (end - 1));
        }
        String digest = Sha256.digest(content);

        assertThat(put(location + "?digest=" + digest, new byte[0]).statusCode()).isEqualTo(201);

        assertThat(store().readAll(blobData(digest))).isEqualTo(content);
        assertThat(get("/v2/" + name + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void sameContentPushedToTwoRepositoriesIsReadableFromBoth() {
        String first = uniqueName("upload-dedup-a");
        String second = uniqueName("upload-dedup-b");
        byte[] content = randomBytes(500);

        String digest = pushBlob(first, content);
        String location = startUpload(second);
        assertThat(put(location + "?digest=" + digest, content).statusCode()).isEqualTo(201);

        assertThat(get("/v2/" + first + "/blobs/" + digest).body()).isEqualTo(content);
        assertThat(get("/v2/" + second + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @ParameterizedTest(name = "Content-Type: {0}")
    @ValueSource(strings = {"application/x-www-form-urlencoded", "text/plain", "application/json"})
    void requestBodiesAreBlobDataWhateverTheirContentType(String contentType) {
        // curl --data-binary sends application/x-www-form-urlencoded unless told otherwise.
        String name = uniqueName("upload-content-type");
        byte[] whole = utf8("a=b&c=%zz&d");
        HttpResponse<byte[]> monolithic = post("/v2/" + name + "/blobs/uploads/?digest=" + Sha256.digest(whole), whole,
                "Content-Type", contentType);
        assertThat(monolithic.statusCode()).as(text(monolithic)).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + Sha256.digest(whole)).body()).isEqualTo(whole);

        byte[] content = utf8("x=1&y=2&z=3+4");
        String location = startUpload(name);
        HttpResponse<byte[]> chunk = patch(location, Arrays.copyOfRange(content, 0, 6), "Content-Type", contentType);
        assertThat(chunk.statusCode()).as(text(chunk)).isEqualTo(202);
        assertThat(header(chunk, "Range")).isEqualTo("0-5");
        HttpResponse<byte[]> done = put(location + "?digest=" + Sha256.digest(content),
                Arrays.copyOfRange(content, 6, content.length), "Content-Type", contentType);
        assertThat(done.statusCode()).as(text(done)).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + Sha256.digest(content)).body()).isEqualTo(content);
    }

    // ---------------------------------------------------------------- bodies that break off

    @Test
    void chunkThatBreaksOffLeavesTheUploadWhereItWas() {
        String name = uniqueName("upload-truncated");
        byte[] content = randomBytes(20);
        String location = startUpload(name);
        assertThat(patch(location, Arrays.copyOfRange(content, 0, 10)).statusCode()).isEqualTo(202);

        // Announces 10 bytes, sends 5, then the client's side of the connection ends.
        RawResponse response = RegistryHttp.raw("PATCH " + location
                + " HTTP/1.1\r\nContent-Length: 10\r\nContent-Range: 10-19\r\n", Arrays.copyOfRange(content, 10, 15), true);

        assertThat(response.status()).as(response.head()).isEqualTo(400);
        HttpResponse<byte[]> status = get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(header(status, "Range")).as("upload after the broken chunk").isEqualTo("0-9");
        HttpResponse<byte[]> resumed = patch(location, Arrays.copyOfRange(content, 10, 20), "Content-Range", "10-19");
        assertThat(resumed.statusCode()).as(text(resumed)).isEqualTo(202);
        assertThat(put(location + "?digest=" + Sha256.digest(content), new byte[0]).statusCode()).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + Sha256.digest(content)).body()).isEqualTo(content);
    }

    @Test
    void largeChunkThatBreaksOffLeavesTheUploadWhereItWas() {
        // Larger than the buffers a chunk streams through, so the store has taken part of it when it breaks.
        String name = uniqueName("upload-truncated-large");
        byte[] content = randomBytes(3 * 1024 * 1024);
        String location = startUpload(name);
        assertThat(patch(location, Arrays.copyOfRange(content, 0, 1024 * 1024)).statusCode()).isEqualTo(202);

        RawResponse response = RegistryHttp.raw("PATCH " + location + " HTTP/1.1\r\nContent-Length: 2097152\r\n"
                + "Content-Range: 1048576-3145727\r\n", Arrays.copyOfRange(content, 1024 * 1024, 1800 * 1024), true);

        assertThat(response.status()).as(response.head()).isEqualTo(400);
        assertThat(header(get(location), "Range")).as("upload after the broken chunk").isEqualTo("0-1048575");
        HttpResponse<byte[]> resumed = patch(location, Arrays.copyOfRange(content, 1024 * 1024, content.length),
                "Content-Range", "1048576-3145727");
        assertThat(resumed.statusCode()).as(text(resumed)).isEqualTo(202);
        assertThat(put(location + "?digest=" + Sha256.digest(content), new byte[0]).statusCode()).isEqualTo(201);
        assertThat(get("/v2/" + name + "/blobs/" + Sha256.digest(content)).body()).isEqualTo(content);
    }

    @Test
    void chunkThatBreaksOffIs400BlobUploadInvalid() {
        // docs/api.md: BLOB_UPLOAD_INVALID (400) when "the request body broke off".
        String name = uniqueName("upload-truncated-code");
        String location = startUpload(name);

        RawResponse response = RegistryHttp.raw("PATCH " + location
                + " HTTP/1.1\r\nContent-Length: 10\r\n", utf8("01234"), true);

        assertThat(response.status()).as(response.head()).isEqualTo(400);
        assertThat(response.head()).contains("Docker-Distribution-API-Version: registry/2.0");
        String raw = new String(response.raw(), StandardCharsets.ISO_8859_1);
        assertThat(raw.substring(raw.indexOf("\r\n\r\n") + 4)).as("error body")
                .contains("\"code\":\"BLOB_UPLOAD_INVALID\"");
    }

    // ---------------------------------------------------------------- cancel and unknown uploads

    @Test
    void deleteCancelsTheUpload() {
        String name = uniqueName("upload-cancel");
        String location = startUpload(name);
        byte[] content = randomBytes(10);
        assertThat(patch(location, content).statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = delete(location);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(204);
        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(location, randomBytes(5)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(location + "?digest=" + Sha256.digest(content), new byte[0]), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(location + "?digest=" + Sha256.digest(content), randomBytes(3)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertThat(isAbsent(uploadFolder(name, uploadId(location)))).isTrue();
    }

    @Test
    void cancelledSessionWithoutDataStaysUnknown() {
        String name = uniqueName("upload-cancel-empty");
        String location = startUpload(name);

        assertThat(delete(location).statusCode()).isEqualTo(204);

        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(location, randomBytes(5)), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @ParameterizedTest(name = "upload id {0}")
    @ValueSource(strings = {"00000000-0000-0000-0000-000000000000", "not-a-uuid", "ABCDEF",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "6f1d2c3b-0000-7000-8000-000000000000", "ffffffff-ffff-7fff-bfff-ffffffffffff"})
    void unknownOrMalformedUploadIdIs404BlobUploadUnknown(String id) {
        String name = uniqueName("upload-unknown");
        String location = "/v2/" + name + "/blobs/uploads/" + id;

        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(location, randomBytes(5)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(location + "?digest=" + EMPTY_BLOB_DIGEST, new byte[0]), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void uploadOfAnotherRepositoryIsUnknown() {
        String owner = uniqueName("upload-owner");
        String other = uniqueName("upload-other");
        String id = uploadId(startUpload(owner));
        String foreign = "/v2/" + other + "/blobs/uploads/" + id;

        assertError(get(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(foreign, randomBytes(5)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(delete(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
        assertThat(get("/v2/" + owner + "/blobs/uploads/" + id).statusCode()).isEqualTo(204);
    }

    // ---------------------------------------------------------------- mount

    @Test
    void mountFromRepositoryHoldingTheBlobCreatesItWithoutUpload() {
        String source = uniqueName("mount-src");
        String target = uniqueName("mount-dst");
        byte[] content = randomBytes(777);
        String digest = pushBlob(source, content);
        assertError(get("/v2/" + target + "/blobs/" + digest), 404, "BLOB_UNKNOWN");

        HttpResponse<byte[]> response = post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source,
                new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(201);
        assertThat(header(response, "Location")).isEqualTo("/v2/" + target + "/blobs/" + digest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(get("/v2/" + target + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void mountFromRepositoryLackingTheBlobStartsAnUploadSession() {
        String source = uniqueName("mount-empty-src");
        String target = uniqueName("mount-fallback");
        pushBlob(source, randomBytes(10));
        byte[] content = randomBytes(300);
        String digest = Sha256.digest(content);

        HttpResponse<byte[]> response = post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source,
                new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        String location = header(response, "Location");
        assertThat(location).matches("/v2/" + target + "/blobs/uploads/" + UUID_PATTERN);
        assertThat(header(response, "Docker-Upload-UUID")).isEqualTo(uploadId(location));
        assertError(get("/v2/" + target + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        // The session is an ordinary one.
        assertThat(put(location + "?digest=" + digest, content).statusCode()).isEqualTo(201);
        assertThat(get("/v2/" + target + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void mountWithoutFromStartsAnUploadSession() {
        String source = uniqueName("mount-nofrom-src");
        String target = uniqueName("mount-nofrom");
        String digest = pushBlob(source, randomBytes(20));

        HttpResponse<byte[]> response = post("/v2/" + target + "/blobs/uploads/?mount=" + digest, new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        assertThat(header(response, "Location")).matches("/v2/" + target + "/blobs/uploads/" + UUID_PATTERN);
        assertError(get("/v2/" + target + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountFromAnInvalidRepositoryNameStartsAnUploadSession() {
        String target = uniqueName("mount-badfrom");
        String digest = Sha256.digest(UUID.randomUUID().toString());

        HttpResponse<byte[]> response = post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=Bad..Name",
                new byte[0]);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
    }
}
