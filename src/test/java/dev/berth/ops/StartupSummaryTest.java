package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.Azurite;
import dev.berth.support.BerthServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Start-up says in one line what Berth serves, and never a secret. */
@ExtendWith(OutputCaptureExtension.class)
class StartupSummaryTest {

    @TempDir
    Path store;

    @Test
    void oneLineNamesTheStoreTheModeThePortsAndTheLimits(CapturedOutput output) {
        int port;
        int management;
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.uploads.idle-timeout=15m",
                "--berth.uploads.purge.dry-run=true", "--berth.memory.budget=48MB",
                "--berth.gc.delete-untagged.enabled=true", "--berth.gc.retention[0].repositories=ci/**",
                "--berth.gc.retention[0].keep-newest=5", "--berth.proxy.rules[0].prefix=hub",
                "--berth.proxy.rules[0].upstream=https://registry.example.com")) {
            port = berth.port();
            management = berth.managementPort();
        }
        String line = summary(output);
        assertThat(line).contains("serving the registry API on port " + port + " (Actuator on " + management + ")")
                .contains("; store: filesystem " + store.toAbsolutePath().normalize() + ";")
                .contains("; auth: none;")
                .contains("uploads: idle-timeout PT15M, max-age PT24H, at most 1000 open per repository,"
                        + " purge every PT10M (dry run); garbage collection off (POST /actuator/garbagecollect runs one),"
                        + " deleting untagged manifests after PT168H, 1 retention policy;")
                .contains("manifests up to 4 MB").contains("memory budget 48 MB")
                .contains("64 requests in flight per client")
                .contains("; pull-through cache hub/* <- https://registry.example.com")
                .contains("; web UI at /ui/ on port " + port);
    }

    @Test
    void theWebUiIsSaidOffWhenItIs(CapturedOutput output) {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.ui.enabled=false")) {
            assertThat(berth.port()).isPositive();
        }
        assertThat(summary(output)).endsWith("; web UI off").doesNotContain("/ui/");
    }

    @Test
    @Tag("azurite")
    void theAzureStoreIsNamedByAccountAndContainerWithoutItsKey(CapturedOutput output) {
        String connectionString = Azurite.get().getConnectionString();
        try (BerthServer berth = BerthServer.start(Azurite.berthArgs("startup-summary"))) {
            assertThat(berth.port()).isPositive();
        }
        String line = summary(output);
        assertThat(line).contains("; store: azure account devstoreaccount1, container startup-summary;");
        String key = connectionString.replaceAll(".*AccountKey=([^;]+).*", "$1");
        assertThat(output.getAll()).doesNotContain(key);
    }

    private static String summary(CapturedOutput output) {
        return output.getOut().lines().filter(l -> l.contains("StartupSummary") || l.contains(" serving the registry"))
                .filter(l -> l.contains("serving the registry API")).findFirst()
                .orElseThrow(() -> new AssertionError("no start-up summary in\n" + output.getOut()));
    }
}
