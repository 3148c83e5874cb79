package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Sha256;
import dev.berth.support.SharedBerth;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code berth_blobs_sent_bytes_total} counts what pulls of blobs were answered with, whichever way the bytes
 * went out (a copy, or the kernel's sendfile for a large blob on the filesystem store), and nothing else.
 */
class BlobBytesSentTest {

    final BerthServer berth = SharedBerth.get();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void wholeAndPartialPullsCountTheirLengthAndOtherAnswersNothing() throws Exception {
        byte[] blob = new byte[200_000];
        new Random(7).nextBytes(blob);
        String digest = Sha256.digest(blob);
        String path = "/v2/ops/sent/blobs/";
        assertThat(send(HttpRequest.newBuilder(berth.uri(path + "uploads/?digest=" + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))).statusCode()).isEqualTo(201);

        double before = sent();
        assertThat(send(HttpRequest.newBuilder(berth.uri(path + digest))).statusCode()).isEqualTo(200);
        assertThat(sentSince(before, blob.length)).as("a whole pull").isEqualTo(blob.length);

        before = sent();
        assertThat(send(HttpRequest.newBuilder(berth.uri(path + digest)).header("Range", "bytes=10-109"))
                .statusCode()).isEqualTo(206);
        assertThat(sentSince(before, 100)).as("a range of 100 bytes").isEqualTo(100);

        before = sent();
        assertThat(send(HttpRequest.newBuilder(berth.uri(path + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(berth.uri(path + Sha256.digest(new byte[3])))).statusCode())
                .isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(berth.uri("/v2/ops/sent/blobs/uploads/")).POST(
                HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(202);
        // A whole pull last: once it is counted, whatever the others added is counted too.
        assertThat(send(HttpRequest.newBuilder(berth.uri(path + digest))).statusCode()).isEqualTo(200);
        assertThat(sentSince(before, blob.length)).as("a HEAD, a 404 and an upload's start, then a whole pull")
                .isEqualTo(blob.length);
    }

    /**
     * The bytes counted since {@code before}, once at least {@code expected} are: the counter moves when the
     * request's filter finishes, which may be just after the client has read the whole answer.
     */
    private double sentSince(double before, long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        double counted = sent() - before;
        while (counted < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            counted = sent() - before;
        }
        return counted;
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private double sent() throws Exception {
        return new Scrape(http.send(HttpRequest.newBuilder(berth.managementUri("/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).value("berth_blobs_sent_bytes_total");
    }
}
