package dev.berth.api;

import static dev.berth.api.RegistryHttp.assertError;
import static dev.berth.api.RegistryHttp.assertHeadError;
import static dev.berth.api.RegistryHttp.delete;
import static dev.berth.api.RegistryHttp.get;
import static dev.berth.api.RegistryHttp.head;
import static dev.berth.api.RegistryHttp.header;
import static dev.berth.api.RegistryHttp.pushBlob;
import static dev.berth.api.RegistryHttp.text;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Sha256;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reading blobs: whole, ranges, HEAD, repository isolation, delete. */
@Timeout(30)
class BlobReadApiTest {

    private static final int SIZE = 200;
    private static String name;
    private static byte[] content;
    private static String digest;
    private static String path;

    @BeforeAll
    static void pushOneBlob() {
        name = uniqueName("blob-read");
        content = randomBytes(SIZE);
        digest = pushBlob(name, content);
        path = "/v2/" + name + "/blobs/" + digest;
    }

    @Test
    void getReturnsTheExactBytesWithHeaders() {
        HttpResponse<byte[]> response = get(path);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(response.body()).isEqualTo(content);
        assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(SIZE));
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(header(response, "Content-Type")).isEqualTo("application/octet-stream");
        assertThat(header(response, "Accept-Ranges")).isEqualTo("bytes");
        assertThat(header(response, "Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
    }

    @Test
    void headReturnsTheSameHeadersWithoutBody() {
        HttpResponse<byte[]> response = head(path);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(SIZE));
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(header(response, "Content-Type")).isEqualTo("application/octet-stream");
        assertThat(header(response, "Accept-Ranges")).isEqualTo("bytes");
    }

    @Test
    void rangeReturns206WithExactlyThoseBytes() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=10-19");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 10-19/" + SIZE);
        assertThat(header(response, "Content-Length")).isEqualTo("10");
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(content, 10, 20));
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
    }

    @Test
    void severalRangesAreAnsweredWithTheWholeBlob() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=0-9,20-29");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(header(response, "Content-Range")).isNull();
        assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(SIZE));
        assertThat(response.body()).isEqualTo(content);
    }

    @Test
    void suffixRangeReturnsTheLastBytes() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=-5");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes " + (SIZE - 5) + "-" + (SIZE - 1) + "/" + SIZE);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(content, SIZE - 5, SIZE));
    }

    @Test
    void suffixRangeLongerThanTheBlobReturnsAllOfIt() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=-1000");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 0-" + (SIZE - 1) + "/" + SIZE);
        assertThat(response.body()).isEqualTo(content);
    }

    @Test
    void openRangeReturnsTheRest() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=100-");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 100-" + (SIZE - 1) + "/" + SIZE);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(content, 100, SIZE));
    }

    @Test
    void rangeEndingPastTheBlobIsCutAtItsEnd() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=190-5000");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 190-" + (SIZE - 1) + "/" + SIZE);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(content, 190, SIZE));
    }

    @Test
    void singleLastByteRange() {
        HttpResponse<byte[]> response = get(path, "Range", "bytes=" + (SIZE - 1) + "-" + (SIZE - 1));

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.body()).containsExactly(content[SIZE - 1]);
    }

    @Test
    void rangeStartingBeyondTheEndIs416WithContentRange() {
        for (String range : new String[] {"bytes=" + SIZE + "-", "bytes=" + (SIZE + 50) + "-" + (SIZE + 60)}) {
            HttpResponse<byte[]> response = get(path, "Range", range);

            assertError(response, 416, "RANGE_INVALID");
            assertThat(header(response, "Content-Range")).as(range).isEqualTo("bytes */" + SIZE);
        }
    }

    /** Large enough for the filesystem store's blobs to be sent by the kernel (sendfile), whole and in part. */
    @Test
    void aLargeBlobArrivesIntactWholeAndInRanges() {
        byte[] large = randomBytes(3 * 1024 * 1024 + 17);
        String largePath = "/v2/" + name + "/blobs/" + pushBlob(name, large);

        HttpResponse<byte[]> whole = get(largePath);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(header(whole, "Content-Length")).isEqualTo(String.valueOf(large.length));
        assertThat(whole.body()).isEqualTo(large);

        HttpResponse<byte[]> middle = get(largePath, "Range", "bytes=1000000-2099999");
        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(header(middle, "Content-Range")).isEqualTo("bytes 1000000-2099999/" + large.length);
        assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(large, 1_000_000, 2_100_000));

        HttpResponse<byte[]> tail = get(largePath, "Range", "bytes=-70000");
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(large, large.length - 70_000, large.length));
    }

    @Test
    void unknownBlobIs404BlobUnknown() {
        String unknown = Sha256.digest(UUID.randomUUID().toString());

        assertError(get("/v2/" + name + "/blobs/" + unknown), 404, "BLOB_UNKNOWN");
        assertHeadError(head("/v2/" + name + "/blobs/" + unknown), 404);
        assertError(get("/v2/" + uniqueName("blob-no-repo") + "/blobs/" + unknown), 404, "BLOB_UNKNOWN");
    }

    @Test
    void blobOfOneRepositoryIsNotVisibleFromAnother() {
        String other = uniqueName("blob-other");
        pushBlob(other, randomBytes(5));

        assertError(get("/v2/" + other + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertHeadError(head("/v2/" + other + "/blobs/" + digest), 404);
        assertError(get("/v2/" + other + "/blobs/" + digest, "Range", "bytes=0-9"), 404, "BLOB_UNKNOWN");
    }

    @Test
    void deleteUnlinksTheBlobAndASecondDeleteIs404() {
        String repository = uniqueName("blob-delete");
        String keeper = uniqueName("blob-keeper");
        byte[] bytes = randomBytes(50);
        String blob = pushBlob(repository, bytes);
        pushBlob(keeper, bytes);

        HttpResponse<byte[]> response = delete("/v2/" + repository + "/blobs/" + blob);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(202);
        assertError(get("/v2/" + repository + "/blobs/" + blob), 404, "BLOB_UNKNOWN");
        assertHeadError(head("/v2/" + repository + "/blobs/" + blob), 404);
        assertError(delete("/v2/" + repository + "/blobs/" + blob), 404, "BLOB_UNKNOWN");
        assertThat(get("/v2/" + keeper + "/blobs/" + blob).body()).as("the other repository's copy").isEqualTo(bytes);
    }

    @Test
    void deleteOfUnknownBlobIs404BlobUnknown() {
        assertError(delete("/v2/" + name + "/blobs/" + Sha256.digest(UUID.randomUUID().toString())), 404, "BLOB_UNKNOWN");
    }

    @Test
    void malformedDigestInBlobPathIsDigestInvalid() {
        assertError(get("/v2/" + name + "/blobs/sha256:xyz"), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + name + "/blobs/md5:d41d8cd98f00b204e9800998ecf8427e"), 400, "DIGEST_INVALID");
        assertError(delete("/v2/" + name + "/blobs/sha256:xyz"), 400, "DIGEST_INVALID");
    }
}
