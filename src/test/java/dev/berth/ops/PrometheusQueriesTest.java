package dev.berth.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import dev.berth.clients.Commands;
import dev.berth.support.BerthServer;
import dev.berth.support.Prometheus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The PromQL operators get from Berth, checked by a real Prometheus: every query of the Grafana dashboard and
 * every alert of the chart's PrometheusRule (as the chart renders it) evaluates without error in a Prometheus
 * that scraped a Berth during a push, and every panel shows data; then {@code promtool test rules} runs the unit
 * tests of the alerts in {@code src/test/resources/prometheus}.
 */
class PrometheusQueriesTest {

    static final Path CHART = Path.of("helm/berth");
    static final Path DASHBOARD = CHART.resolve("dashboards/berth-dashboard.json");
    static final Path ALERT_TESTS = Path.of("src/test/resources/prometheus/berth-alerts-test.yaml");
    /** What the dashboard's variables become: Grafana's rate interval, the scrape's job. */
    static final String RATE_INTERVAL = "1m";
    static final String JOB = "berth";

    @TempDir
    Path work;

    @Test
    void everyDashboardAndAlertQueryEvaluatesAndEveryPanelShowsThePush() throws Exception {
        Path store = Files.createDirectories(work.resolve("store"));
        Path prometheusWork = Files.createDirectories(work.resolve("prometheus"));
        Files.writeString(prometheusWork.resolve("berth-rules.yaml"), renderedRules());
        try (BerthServer berth = BerthServer.startOnFilesystem(store, "--berth.uploads.purge.enabled=false");
                Prometheus prometheus = Prometheus.start(prometheusWork, scrapeConfig(berth))) {
            new ScriptedPush(berth).run("monitoring/app");
            HttpResponse<String> purge = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    berth.managementUri("/actuator/uploadpurge")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(purge.statusCode()).isEqualTo(200);

            String instance = "127.0.0.1:" + berth.managementPort();
            Map<String, String> panels = panelQueries(instance);
            assertThat(panels).as("queries of the dashboard").hasSizeGreaterThan(15);
            // Each panel has data once Prometheus scraped the push twice; a query that never has any fails.
            Map<String, JsonNode> answers = awaitData(prometheus, panels, Duration.ofSeconds(60));
            List<String> failed = new ArrayList<>();
            answers.forEach((panel, answer) -> {
                if (!answer.path("status").asString().equals("success")) {
                    failed.add(panel + " -> error: " + answer);
                } else if (answer.path("data").path("result").isEmpty()) {
                    failed.add(panel + " -> no data: " + answer);
                }
            });
            assertThat(failed).as("dashboard queries that fail or show no data after the push").isEmpty();

            Map<String, String> alerts = alertExpressions(new Yaml().load(renderedRules()));
            assertThat(alerts.keySet()).as("alerts of the chart's PrometheusRule").hasSizeGreaterThanOrEqualTo(4);
            for (Map.Entry<String, String> alert : alerts.entrySet()) {
                JsonNode answer = prometheus.query(alert.getValue());
                assertThat(answer.path("status").asString()).as("%s: %s", alert.getKey(), answer)
                        .isEqualTo("success");
            }
            // Prometheus loaded the rendered rules too, and evaluates them without error.
            Map<String, String> health = new LinkedHashMap<>();
            for (JsonNode group : prometheus.get("/api/v1/rules").path("data").path("groups")) {
                group.path("rules").forEach(rule -> health.put(rule.path("name").asString(),
                        rule.path("health").asString() + " " + rule.path("lastError").asString()));
            }
            assertThat(health.keySet()).containsExactlyInAnyOrderElementsOf(alerts.keySet());
            assertThat(health).allSatisfy((alert, state) -> assertThat(state).as(alert).startsWith("ok"));
        }
    }

    @Test
    void eachAlertFiresWhenItShouldAndStaysSilentOtherwise() throws Exception {
        Prometheus.requireInstalled(Prometheus.PROMTOOL);
        String rules = renderedRules();
        Files.writeString(work.resolve("berth-rules.yaml"), rules);
        Path tests = Files.copy(ALERT_TESTS, work.resolve(ALERT_TESTS.getFileName()));

        Set<String> tested = new TreeSet<>();
        List<Map<String, Object>> groups = list(new Yaml().<Map<String, Object>>load(Files.readString(tests)).get("tests"));
        for (Map<String, Object> group : groups) {
            for (Map<String, Object> test : list(group.get("alert_rule_test"))) {
                if (!list(test.get("exp_alerts")).isEmpty()) {
                    tested.add((String) test.get("alertname"));
                }
            }
        }
        assertThat(tested).as("alerts the tests see firing, against the chart's alerts")
                .containsExactlyInAnyOrderElementsOf(alertExpressions(new Yaml().load(rules)).keySet());

        Commands.Result result = Commands.exec(Duration.ofSeconds(60), Map.of(), Prometheus.PROMTOOL, "test", "rules",
                tests.toString());
        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).as(result.describe()).contains("SUCCESS");
    }

    /** A scrape of {@code berth} every second, labelled as the chart's pods are, and the chart's rules. */
    static String scrapeConfig(BerthServer berth) {
        return String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  evaluation_interval: 1s",
                "rule_files: [berth-rules.yaml]",
                "scrape_configs:",
                "  - job_name: " + JOB,
                "    metrics_path: /actuator/prometheus",
                "    static_configs:",
                "      - targets: ['127.0.0.1:" + berth.managementPort() + "']",
                "        labels: {namespace: registry, pod: berth-7d9f-abcde}",
                "");
    }

    /** The groups of the chart's PrometheusRule (release "berth" in "registry"), as a Prometheus rules file. */
    static String renderedRules() {
        String manifest = new Helm(CHART).template().withName("berth").withNamespace("registry")
                .set("metrics.prometheusRule.enabled", true).call();
        for (String document : manifest.split("(?m)^---\\s*$")) {
            if (document.lines().anyMatch(line -> line.equals("kind: PrometheusRule"))) {
                Map<String, Object> rule = new Yaml().load(document);
                Map<String, Object> spec = map(rule.get("spec"));
                return new Yaml().dump(Map.of("groups", spec.get("groups")));
            }
        }
        throw new AssertionError("the chart rendered no PrometheusRule:\n" + manifest);
    }

    /** Each alert's name and expression. */
    static Map<String, String> alertExpressions(Map<String, Object> rulesFile) {
        Map<String, String> alerts = new LinkedHashMap<>();
        for (Map<String, Object> group : list(rulesFile.get("groups"))) {
            for (Map<String, Object> rule : list(group.get("rules"))) {
                alerts.put((String) rule.get("alert"), String.valueOf(rule.get("expr")));
            }
        }
        return alerts;
    }

    /** Every query of the dashboard, by panel title and ref id, with Grafana's variables filled in. */
    static Map<String, String> panelQueries(String instance) throws Exception {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
        Map<String, String> queries = new LinkedHashMap<>();
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        });
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asString()
                        .replace("$__rate_interval", RATE_INTERVAL)
                        .replace("$job", JOB)
                        .replace("$instance", instance);
                assertThat(expr).as("%s: a Grafana variable this test does not fill in", panel.path("title"))
                        .doesNotContain("$");
                queries.put(panel.path("title").asString() + " " + target.path("refId").asString(), expr);
            }
        }
        return queries;
    }

    /** The answers to {@code queries} once all have data, or as they are when {@code timeout} is over. */
    static Map<String, JsonNode> awaitData(Prometheus prometheus, Map<String, String> queries, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, JsonNode> answers = new LinkedHashMap<>();
            boolean all = true;
            for (Map.Entry<String, String> query : queries.entrySet()) {
                JsonNode answer = prometheus.query(query.getValue());
                answers.put(query.getKey() + ": " + query.getValue(), answer);
                all &= answer.path("data").path("result").size() > 0;
            }
            if (all || System.nanoTime() > deadline) {
                return answers;
            }
            Thread.sleep(1000);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object yaml) {
        return yaml == null ? List.of() : (List<Map<String, Object>>) yaml;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object yaml) {
        return (Map<String, Object>) yaml;
    }
}
