package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.support.BerthServer;
import dev.berth.support.EventReceiver;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics table of docs/operations.md against a real Berth's scrape: every {@code berth_*} metric is there
 * from the start (at 0), and after a push the scrape's {@code berth_*} names and the tag values the table lists
 * are exactly the table's, both ways, so neither can drift from the other.
 */
class MetricsCatalogTest {

    static final Path OPERATIONS = Path.of("docs/operations.md");
    static final Pattern TABLE_ROW = Pattern.compile("(?m)^\\| `([a-z_]+)` \\|[^|]*\\|([^|]*)\\|");
    static final Pattern LISTED_TAG = Pattern.compile("`(\\w+)` = (`[^`]+`(?: / `[^`]+`)*)");
    static final Pattern TYPE_LINE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");

    @TempDir
    Path store;

    @Test
    void everyDocumentedMetricIsThereFromTheStartAndAPushAddsNoneTheTableLacks() throws Exception {
        Map<String, Map<String, Set<String>>> documented = documentedMetrics();
        assertThat(documented).as("berth_* rows of docs/operations.md's metrics table").hasSizeGreaterThan(10);
        // With a notification endpoint, whose series exist per endpoint.
        try (EventReceiver receiver = EventReceiver.start();
                BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.uploads.purge.enabled=false",
                        "--berth.notifications.endpoints[0].name=catalog",
                        "--berth.notifications.endpoints[0].url=" + receiver.url())) {
            Scrape atStart = scrape(berth);
            assertThat(berthFamilies(atStart)).as("berth_* metrics scraped before any request")
                    .containsExactlyInAnyOrderElementsOf(documented.keySet());
            assertThat(atStart.value("berth_uploads_failed_total", "code=\"DIGEST_INVALID\"")).isZero();
            assertThat(atStart.value("berth_uploads_expired_total", "reason=\"idle\"")).isZero();
            assertThat(atStart.value("berth_storage_errors_total", "kind=\"failure\",operation=\"write_piece\""))
                    .isZero();
            assertThat(atStart.value("berth_blobs_sent_bytes_total")).isZero();

            long layer = new ScriptedPush(berth).run("catalog/app");
            Scrape afterPush = scrape(berth);

            Set<String> scraped = berthFamilies(afterPush);
            assertThat(difference(scraped, documented.keySet()))
                    .as("berth_* metrics in the scrape that docs/operations.md does not list").isEmpty();
            assertThat(difference(documented.keySet(), scraped))
                    .as("berth_* metrics docs/operations.md lists that the scrape lacks").isEmpty();
            documented.forEach((metric, tags) -> tags.forEach((tag, values) -> {
                Set<String> seen = tagValues(afterPush, metric, tag);
                assertThat(difference(seen, values)).as("%s{%s} values scraped but not documented", metric, tag)
                        .isEmpty();
                assertThat(difference(values, seen)).as("%s{%s} values documented but not scraped", metric, tag)
                        .isEmpty();
            }));
            assertThat(afterPush.value("berth_blobs_sent_bytes_total")).isEqualTo(layer);
            assertThat(afterPush.value("berth_uploads_failed_total", "code=\"DIGEST_INVALID\"")).isZero();
        }
    }

    /** The table's {@code berth_*} metrics, each with the tags whose values it lists ({@code `tag` = `a` / `b`}). */
    static Map<String, Map<String, Set<String>>> documentedMetrics() throws Exception {
        String text = Files.readString(OPERATIONS);
        String section = text.substring(text.indexOf("\n## Metrics\n"));
        int next = section.indexOf("\n## ", 1);
        section = next < 0 ? section : section.substring(0, next);
        Map<String, Map<String, Set<String>>> metrics = new LinkedHashMap<>();
        Matcher row = TABLE_ROW.matcher(section);
        while (row.find()) {
            if (!row.group(1).startsWith("berth_")) {
                continue;
            }
            Map<String, Set<String>> tags = new LinkedHashMap<>();
            Matcher tag = LISTED_TAG.matcher(row.group(2));
            while (tag.find()) {
                tags.put(tag.group(1), new TreeSet<>(Set.of(tag.group(2).replace("`", "").split(" / "))));
            }
            metrics.put(row.group(1), tags);
        }
        return metrics;
    }

    /** The {@code berth_*} metric families of a scrape; a timer's {@code _max} gauge counts as part of its timer. */
    static Set<String> berthFamilies(Scrape scrape) {
        Map<String, String> types = new LinkedHashMap<>();
        Matcher type = TYPE_LINE.matcher(scrape.text());
        while (type.find()) {
            types.put(type.group(1), type.group(2));
        }
        Set<String> families = new TreeSet<>();
        types.forEach((name, kind) -> {
            boolean timerMax = name.endsWith("_max")
                    && "summary".equals(types.get(name.substring(0, name.length() - "_max".length())));
            if (name.startsWith("berth_") && !timerMax) {
                families.add(name);
            }
        });
        return families;
    }

    /** The values {@code tag} takes over the series of {@code metric} (a timer's too). */
    static Set<String> tagValues(Scrape scrape, String metric, String tag) {
        Pattern series = Pattern.compile("(?m)^" + Pattern.quote(metric) + "(?:_count|_sum|_max)?\\{([^}]*)\\} ");
        Pattern value = Pattern.compile("(?:^|,)" + Pattern.quote(tag) + "=\"([^\"]*)\"");
        Set<String> values = new TreeSet<>();
        Matcher line = series.matcher(scrape.text());
        while (line.find()) {
            Matcher found = value.matcher(line.group(1));
            if (found.find()) {
                values.add(found.group(1));
            }
        }
        return values;
    }

    static Set<String> difference(Set<String> of, Set<String> minus) {
        Set<String> rest = new TreeSet<>(of);
        rest.removeAll(minus);
        return rest;
    }

    static Scrape scrape(BerthServer berth) throws Exception {
        return new Scrape(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                berth.managementUri("/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body());
    }
}
