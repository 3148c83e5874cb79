package dev.berth.registry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.RawHttp;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening an upload costs the store nothing; a repository may hold a bounded number of uploads with data,
 * and the first chunk of one more is refused with 429 until one finishes.
 */
class OpenUploadsLimitTest {

    @TempDir
    static Path store;

    static BerthServer berth;

    @BeforeAll
    static void start() {
        berth = BerthServer.startOnFilesystem(store, "--berth.uploads.max-open-per-repository=3");
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    @Test
    void sessionsWithoutDataCostNothingAndUploadsWithDataAreBounded() throws Exception {
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            RawHttp.Response opened = RawHttp.send(berth.port(), "POST", "/v2/bounded/app/blobs/uploads/", null,
                    new byte[0]);
            assertThat(opened.status()).isEqualTo(202);
            sessions.add(opened.header("Location"));
        }
        assertThat(Files.exists(store.resolve("docker/registry/v2/repositories/bounded/app/_uploads")))
                .as("anything stored for 300 sessions without data").isFalse();

        byte[] chunk = "some data".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 3; i++) {
            assertThat(RawHttp.send(berth.port(), "PATCH", sessions.get(i), null, chunk).status()).isEqualTo(202);
        }
        RawHttp.Response refused = RawHttp.send(berth.port(), "PATCH", sessions.get(3), null, chunk);
        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        assertThat(refused.body()).contains("TOOMANYREQUESTS");
        // Uploads already holding data go on; once one is cancelled, another may start.
        assertThat(RawHttp.send(berth.port(), "PATCH", sessions.get(0), null, chunk).status()).isEqualTo(202);
        assertThat(RawHttp.send(berth.port(), "DELETE", sessions.get(1), null, null).status()).isEqualTo(204);
        assertThat(RawHttp.send(berth.port(), "PATCH", sessions.get(3), null, chunk).status()).isEqualTo(202);
        assertThat(RawHttp.send(berth.port(), "PATCH", sessions.get(4), null, chunk).status()).isEqualTo(429);
        // Another repository has a bound of its own.
        assertThat(RawHttp.send(berth.port(), "PATCH", berthSession("bounded/other"), null, chunk).status())
                .isEqualTo(202);

        MeterRegistry meters = berth.context().getBean(MeterRegistry.class);
        assertThat(meters.get("berth.uploads.failed").tag("code", "TOOMANYREQUESTS").counter().count()).isEqualTo(2);
    }

    private static String berthSession(String repository) {
        return RawHttp.send(berth.port(), "POST", "/v2/" + repository + "/blobs/uploads/", null, new byte[0])
                .header("Location");
    }
}
