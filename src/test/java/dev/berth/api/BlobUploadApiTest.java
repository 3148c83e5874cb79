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
import static dev.berth.api.RegistryHttp.startUpload;
import static dev.berth.api.RegistryHttp.store;
import static dev.berth.api.RegistryHttp.text;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.api.RegistryHttp.uploadFolder;
import static dev.berth.api.RegistryHttp.uploadId;
import static dev.berth.api.RegistryHttp.utf8;
import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.RawResponse;
import dev.berth.support.Sha256;
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

        HttpResponse<byte[]> response = commitAndReadBack(name, location, new byte[0]);

        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(EMPTY_BLOB_DIGEST);
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

        HttpResponse<byte[]> response = commitAndReadBack(name, location, content, content,
                "Content-Type", OCTET_STREAM);

        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/blobs/" + digest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
    }

    // ---------------------------------------------------------------- streamed PATCH

    @Test
    void streamedPatchesAppendAndReportTheRange() {
        String name = uniqueName("upload-stream");
        byte[] content = randomBytes(150);
        String location = startUpload(name);

        HttpResponse<byte[]> first = patchStreamed(location, content, 0, 100, "Content-Type", OCTET_STREAM);
        assertThat(header(first, "Location")).isEqualTo(location);
        assertThat(header(first, "Docker-Upload-UUID")).isEqualTo(uploadId(location));

        HttpResponse<byte[]> second = patchStreamed(header(first, "Location"), content, 100, 150,
                "Content-Type", OCTET_STREAM);

        commitAndReadBack(name, header(second, "Location"), content);
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
        commitAndReadBack(name, location, content);
    }

    // ---------------------------------------------------------------- chunked PATCH

    @Test
    void chunkedPatchesInOrderAreAccepted() {
        String name = uniqueName("upload-chunks");
        byte[] content = randomBytes(30);
        String location = startUpload(name);

        HttpResponse<byte[]> first = patchChunk(location, content, 0, 10, "Content-Type", OCTET_STREAM);
        assertThat(header(first, "Location")).isEqualTo(location);

        patchChunk(location, content, 10, 30, "Content-Type", OCTET_STREAM);

        commitAndReadBack(name, location, content);
    }

    @Test
    void chunkLeavingAGapIs416RangeInvalidWithCurrentRange() {
        String name = uniqueName("upload-gap");
        String location = startUpload(name);
        byte[] content = randomBytes(20);
        patchChunk(location, content, 0, 10);

        HttpResponse<byte[]> response = patch(location, randomBytes(10), "Content-Range", "20-29");

        assertError(response, 416, "RANGE_INVALID");
        assertThat(header(response, "Range")).isEqualTo("0-9");
        assertThat(header(response, "Location")).isEqualTo(location);
        assertThat(header(get(location), "Range")).as("status after the refused chunk").isEqualTo("0-9");
        patchChunk(location, content, 10, 20);
        commitAndReadBack(name, location, content);
    }

    @Test
    void repeatedChunkIs416RangeInvalidWithCurrentRange() {
        String name = uniqueName("upload-repeat");
        String location = startUpload(name);
        byte[] chunk = randomBytes(10);
        patchChunk(location, chunk, 0, 10);

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
        byte[] content = randomBytes(9);
        patchChunk(location, content, 0, 4);

        // 10 bytes sent (Content-Length: 10) but the range announces 5.
        assertError(patch(location, randomBytes(10), "Content-Range", "4-8"), 400, "SIZE_INVALID");

        assertThat(header(get(location), "Range")).as("status after the refused chunk").isEqualTo("0-3");
        patchChunk(location, content, 4, 9);
        commitAndReadBack(name, location, content);
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
        patchStreamed(location, randomBytes(42), 0, 42);

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
        patchChunk(location, content, 0, 33_333);

        // The client lost track: it asks where the upload stands and continues from there.
        HttpResponse<byte[]> status = get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        String range = header(status, "Range");
        assertThat(range).isEqualTo("0-33332");
        int next = Integer.parseInt(range.substring(range.indexOf('-') + 1)) + 1;

        patchChunk(header(status, "Location"), content, next, 80_000);

        commitAndReadBack(name, location, content, Arrays.copyOfRange(content, 80_000, content.length),
                "Content-Type", OCTET_STREAM);
    }

    // ---------------------------------------------------------------- finishing

    @Test
    void putWithFinalChunkAndDigestCreatesBlob() {
        String name = uniqueName("upload-final-chunk");
        byte[] content = randomBytes(2048);
        String location = startUpload(name);
        patchChunk(location, content, 0, 1000);

        HttpResponse<byte[]> response = commitAndReadBack(name, location, content,
                Arrays.copyOfRange(content, 1000, 2048), "Content-Type", OCTET_STREAM);

        assertThat(header(response, "Location")).isEqualTo("/v2/" + name + "/blobs/" + Sha256.digest(content));
    }

    @Test
    void putWithoutDigestIsDigestInvalid() {
        String name = uniqueName("upload-no-digest");
        String location = startUpload(name);
        patchStreamed(location, randomBytes(10), 0, 10);

        assertError(put(location, new byte[0]), 400, "DIGEST_INVALID");
        assertError(put(location + "?digest=", new byte[0]), 400, "DIGEST_INVALID");
    }

    @Test
    void putWithWrongDigestIsDigestInvalidAndDiscardsTheUpload() {
        String name = uniqueName("upload-wrong-digest");
        byte[] content = randomBytes(64);
        String location = startUpload(name);
        patchStreamed(location, content, 0, content.length);
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
        patchStreamed(location, content, 0, 1000);
        patchStreamed(location, content, 1000, 4096);
        assertThat(isFolder(uploadFolder(name, id))).as("upload folder while in progress").isTrue();

        commitAndReadBack(name, location, content);
        String digest = Sha256.digest(content);

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
            patchChunk(location, content, start, Math.min(content.length, start + chunk));
        }

        commitAndReadBack(name, location, content);

        assertThat(store().readAll(blobData(Sha256.digest(content)))).isEqualTo(content);
    }

    @Test
    void sameContentPushedToTwoRepositoriesIsReadableFromBoth() {
        String first = uniqueName("upload-dedup-a");
        String second = uniqueName("upload-dedup-b");
        byte[] content = randomBytes(500);

        String digest = pushBlob(first, content);
        commitAndReadBack(second, startUpload(second), content, content);

        assertThat(get("/v2/" + first + "/blobs/" + digest).body()).isEqualTo(content);
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
        patchStreamed(location, content, 0, 6, "Content-Type", contentType);
        commitAndReadBack(name, location, content, Arrays.copyOfRange(content, 6, content.length),
                "Content-Type", contentType);
    }

    // ---------------------------------------------------------------- bodies that break off

    @Test
    void chunkThatBreaksOffLeavesTheUploadWhereItWas() {
        String name = uniqueName("upload-truncated");
        byte[] content = randomBytes(20);
        String location = startUpload(name);
        patchStreamed(location, content, 0, 10);

        // Announces 10 bytes, sends 5, then the client's side of the connection ends.
        RawResponse response = RegistryHttp.raw("PATCH " + location
                + " HTTP/1.1\r\nContent-Length: 10\r\nContent-Range: 10-19\r\n", Arrays.copyOfRange(content, 10, 15), true);

        assertThat(response.status()).as(response.head()).isEqualTo(400);
        HttpResponse<byte[]> status = get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(header(status, "Range")).as("upload after the broken chunk").isEqualTo("0-9");
        patchChunk(location, content, 10, 20);
        commitAndReadBack(name, location, content);
    }

    @Test
    void largeChunkThatBreaksOffLeavesTheUploadWhereItWas() {
        // Larger than the buffers a chunk streams through, so the store has taken part of it when it breaks.
        String name = uniqueName("upload-truncated-large");
        byte[] content = randomBytes(3 * 1024 * 1024);
        String location = startUpload(name);
        patchStreamed(location, content, 0, 1024 * 1024);

        RawResponse response = RegistryHttp.raw("PATCH " + location + " HTTP/1.1\r\nContent-Length: 2097152\r\n"
                + "Content-Range: 1048576-3145727\r\n", Arrays.copyOfRange(content, 1024 * 1024, 1800 * 1024), true);

        assertThat(response.status()).as(response.head()).isEqualTo(400);
        assertThat(header(get(location), "Range")).as("upload after the broken chunk").isEqualTo("0-1048575");
        patchChunk(location, content, 1024 * 1024, content.length);
        commitAndReadBack(name, location, content);
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
        patchStreamed(location, content, 0, content.length);

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
        commitAndReadBack(target, location, content, content);
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

    // ---------------------------------------------------------------- steps of an upload

    /**
     * PATCHes bytes {@code from} to {@code to} (exclusive) of {@code content} with their Content-Range, as a
     * chunked upload sends them; asserts 202 and that the upload now holds {@code 0-(to-1)}.
     */
    private static HttpResponse<byte[]> patchChunk(String location, byte[] content, int from, int to,
            String... headers) {
        String[] withRange = Arrays.copyOf(headers, headers.length + 2);
        withRange[headers.length] = "Content-Range";
        withRange[headers.length + 1] = from + "-" + (to - 1);
        return patchExpectingRange(location, Arrays.copyOfRange(content, from, to), to, withRange);
    }

    /** As {@link #patchChunk}, without Content-Range: a streamed PATCH, appended wherever the upload stands. */
    private static HttpResponse<byte[]> patchStreamed(String location, byte[] content, int from, int to,
            String... headers) {
        return patchExpectingRange(location, Arrays.copyOfRange(content, from, to), to, headers);
    }

    private static HttpResponse<byte[]> patchExpectingRange(String location, byte[] chunk, int holding,
            String... headers) {
        HttpResponse<byte[]> response = patch(location, chunk, headers);
        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        assertThat(header(response, "Range")).isEqualTo("0-" + (holding - 1));
        return response;
    }

    /** Commits the upload as {@code expected}'s digest and reads the blob back: every byte, none twice. */
    private static HttpResponse<byte[]> commitAndReadBack(String name, String location, byte[] expected) {
        return commitAndReadBack(name, location, expected, new byte[0]);
    }

    /**
     * As {@link #commitAndReadBack(String, String, byte[])}, the PUT carrying {@code lastChunk} and the
     * headers given; asserts 201 with the digest and returns the PUT's answer.
     */
    private static HttpResponse<byte[]> commitAndReadBack(String name, String location, byte[] expected,
            byte[] lastChunk, String... headers) {
        String digest = Sha256.digest(expected);
        HttpResponse<byte[]> committed = put(location + (location.contains("?") ? "&" : "?") + "digest=" + digest,
                lastChunk, headers);
        assertThat(committed.statusCode()).as(text(committed)).isEqualTo(201);
        assertThat(header(committed, "Docker-Content-Digest")).isEqualTo(digest);
        HttpResponse<byte[]> pulled = get("/v2/" + name + "/blobs/" + digest);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(Sha256.digest(pulled.body())).as("digest of the blob read back").isEqualTo(digest);
        assertThat(pulled.body()).isEqualTo(expected);
        return committed;
    }
}
