package dev.berth.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.Http;
import dev.berth.support.MovableClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The repository list shows each repository's stored size from the last garbage collection's report, with
 * when that run measured it, and "–" for a repository the report does not list; the sizes cost the list no
 * store call per row, and the report is read again at most once a minute.
 */
class UiRepositorySizesTest {

    private static final Pattern ROW = Pattern.compile(
            "class=\"repo\"[^>]*>([^<]+)</a></td>\\s*<td class=\"num\">[^<]*</td>\\s*<td class=\"num size\"[^>]*>(.*?)</td>",
            Pattern.DOTALL);

    @TempDir
    Path store;

    final MovableClock clock = new MovableClock();

    @Test
    void theListShowsTheLastCollectionsSizesWithoutAStoreCallPerRow() {
        try (BerthServer berth = BerthServer.startOnFilesystem(store, clock, "--berth.uploads.purge.enabled=false",
                "--berth.gc.settle=100ms")) {
            UiImages images = new UiImages(berth, null);
            for (int i = 0; i < 6; i++) {
                images.image("sized/app-" + i, "v1", "amd64", i);
            }
            assertThat(rows(berth, "/ui/?n=6")).as("before any collection").hasSize(6)
                    .allSatisfy(row -> assertThat(row).endsWith("=–"));
            long twoRowsWithout = storeCalls(berth, "/ui/?n=2");
            long sixRowsWithout = storeCalls(berth, "/ui/?n=6");

            HttpResponse<String> run = Http.sendText("POST", berth.managementUri("/actuator/garbagecollect/dry-run"), null);
            assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
            JsonNode report = JsonMapper.builder().build().readTree(run.body());
            List<String> expected = new ArrayList<>();
            String asOf = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC)
                    .format(Instant.parse(report.path("startedAt").asString()));
            for (JsonNode usage : report.path("repositories")) {
                expected.add(usage.path("repository").asString() + "=" + Sizes.human(usage.path("bytes").asLong())
                        + " (as of " + asOf + ")");
            }
            assertThat(expected).as("the report's sizes").hasSize(6);
            assertThat(rows(berth, "/ui/?n=6")).as("within a minute of the last read, no read again")
                    .allSatisfy(row -> assertThat(row).endsWith("=–"));

            clock.advance(RepositorySizes.REFRESH);

            assertThat(rows(berth, "/ui/?n=6")).as("a minute later").containsExactlyInAnyOrderElementsOf(expected);
            assertThat(storeCalls(berth, "/ui/?n=2")).as("store calls of a list of 2 with sizes").isEqualTo(twoRowsWithout);
            assertThat(storeCalls(berth, "/ui/?n=6")).as("store calls of a list of 6 with sizes").isEqualTo(sixRowsWithout);
        }
    }

    /** Each row of the list as "name=size cell text", whitespace collapsed. */
    private static List<String> rows(BerthServer berth, String path) {
        HttpResponse<String> page = Http.getText(berth.uri(path));
        assertThat(page.statusCode()).isEqualTo(200);
        List<String> rows = new ArrayList<>();
        Matcher row = ROW.matcher(page.body());
        while (row.find()) {
            rows.add(row.group(1) + "=" + row.group(2).replaceAll("<[^>]+>", "").replaceAll("\\s+", " ").strip());
        }
        return rows;
    }

    /** The store calls of one GET: the fewest of three, as background work may call the store meanwhile. */
    private static long storeCalls(BerthServer berth, String path) {
        MeterRegistry meters = berth.context().getBean(MeterRegistry.class);
        long fewest = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long before = count(meters);
            assertThat(Http.getText(berth.uri(path)).statusCode()).isEqualTo(200);
            fewest = Math.min(fewest, count(meters) - before);
        }
        return fewest;
    }

    private static long count(MeterRegistry meters) {
        return meters.find("berth.storage.operations").timers().stream().mapToLong(Timer::count).sum();
    }
}
