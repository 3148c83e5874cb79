package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.RawHttp;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Values a client sends reach the log with their control characters escaped: no forged lines. */
@ExtendWith(OutputCaptureExtension.class)
class LogEscapingTest {

    @TempDir
    Path store;

    @Test
    void aDigestWithALineBreakCannotForgeALogLine(CapturedOutput output) {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--logging.level.dev.berth=DEBUG")) {
            RawHttp.Response response = RawHttp.send(berth.port(), "PUT",
                    "/v2/team/app/blobs/uploads/01234567-89ab-7cde-8f01-234567890abc?digest=x%0d%0aFORGED%20INFO%20admin%1b%5B31m",
                    null, new byte[0]);
            assertThat(response.status()).isEqualTo(400);
        }
        assertThat(output.getOut()).contains("\\r\\nFORGED INFO admin\\u001b[31m");
        assertThat(output.getOut().lines()).noneMatch(line -> line.startsWith("FORGED"));
        assertThat(output.getOut()).doesNotContain("\u001b[31m");
    }
}
