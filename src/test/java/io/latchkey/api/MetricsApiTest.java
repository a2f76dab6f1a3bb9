package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a node's /metrics shows to Prometheus: every /v1 route's requests by template and status
 * class with latency buckets, the raft, proposal, snapshot and peer measures, gauges typed as
 * gauges; and every metric that the chart's Grafana dashboard and alert rules use.
 */
@HelidonTest
@Tag("api")
@AddConfig(key = "latchkey.raft.snapshot-entries", value = "5")
class MetricsApiTest extends ApiTestBase {
    private static final Path DASHBOARD = Path.of("helm/latchkey/files/grafana-dashboard.json");
    private static final Path RULES = Path.of("helm/latchkey/templates/prometheusrule.yaml");
    /** A metric name right before a selector's '{', or as label_values' first argument. */
    private static final Pattern SELECTED = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{|label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    /** Series Prometheus makes itself, not the node. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    @Test
    void everyV1RouteIsCountedAndTimedByTemplateAndStatusClass_neverByKey() {
        String key = Api.unique("metrics/route");
        assertStatus(api.put("/v1/config/" + key).text("v").send(), 200);
        assertStatus(api.get("/v1/config/" + key).send(), 200);
        assertProblem(api.get("/v1/config/" + Api.unique("missing")).send(), 404, null);
        assertStatus(api.get("/v1/cluster").send(), 200);

        String metrics = scrape();
        Map<String, Double> counts = series(metrics, "latchkey_api_requests_seconds_count");
        assertThat(count(counts, "PUT", "/v1/config/{key}", "2xx")).isGreaterThanOrEqualTo(1);
        assertThat(count(counts, "GET", "/v1/config/{key}", "2xx")).isGreaterThanOrEqualTo(1);
        assertThat(count(counts, "GET", "/v1/config/{key}", "4xx")).isGreaterThanOrEqualTo(1);
        assertThat(count(counts, "GET", "/v1/cluster", "2xx")).isGreaterThanOrEqualTo(1);
        assertThat(metrics).as("a key never becomes a label").doesNotContain(key);

        Map<String, Double> buckets = series(metrics, "latchkey_api_requests_seconds_bucket");
        List<String> putBuckets = buckets.keySet().stream()
                .filter(labels -> labels.contains("method=\"PUT\"") && labels.contains("route=\"/v1/config/{key}\""))
                .toList();
        assertThat(putBuckets).as("histogram buckets of PUT /v1/config/{key}")
                .anyMatch(labels -> labels.contains("le=\"0.005\""))
                .anyMatch(labels -> labels.contains("le=\"30.0\""))
                .anyMatch(labels -> labels.contains("le=\"+Inf\""));
        assertThat(metrics).contains("# TYPE latchkey_api_requests_seconds histogram");
    }

    @Test
    void proposalSnapshotAndPeerMeasuresAreExported_gaugesAsGauges() {
        for (int i = 0; i < 8; i++) {
            assertStatus(api.put("/v1/config/" + Api.unique("metrics-snap")).text("v").send(), 200);
        }
        Api.awaitCondition(Duration.ofSeconds(10), "a snapshot was taken",
                () -> value(scrape(), "latchkey_snapshot_size_bytes") > 0);

        String metrics = scrape();
        assertThat(value(metrics, "latchkey_raft_proposals_applied_total")).isGreaterThanOrEqualTo(8);
        assertThat(metrics).contains("# TYPE latchkey_raft_proposals_failed_total counter");
        assertThat(value(metrics, "latchkey_snapshot_index")).isGreaterThanOrEqualTo(5);
        assertThat(value(metrics, "latchkey_snapshot_age_seconds")).isBetween(0.0, 60.0);
        assertThat(value(metrics, "latchkey_peer_dropped_messages")).isEqualTo(0);
        for (String gauge : List.of("latchkey_has_leader", "latchkey_is_leader", "latchkey_raft_term",
                "latchkey_raft_apply_lag", "latchkey_raft_proposals_pending", "latchkey_snapshot_index",
                "latchkey_snapshot_size_bytes", "latchkey_snapshot_age_seconds", "latchkey_state_quota_alarm",
                "latchkey_state_size_bytes", "latchkey_peer_dropped_messages", "latchkey_locks_held")) {
            assertThat(metrics).contains("# TYPE " + gauge + " gauge");
        }
        assertThat(value(metrics, "latchkey_has_leader")).isEqualTo(1);
        assertThat(value(metrics, "latchkey_is_leader")).isEqualTo(1);
        for (String histogram : List.of("latchkey_storage_fsync_seconds", "latchkey_write_stage_seconds")) {
            assertThat(metrics).contains("# TYPE " + histogram + " histogram", histogram + "_bucket{");
        }
    }

    @Test
    void everyMetricOfTheDashboardAndTheAlertRulesIsExported() throws IOException {
        // Every status class and route the dashboard filters on need not have happened: names only.
        assertStatus(api.put("/v1/config/" + Api.unique("metrics-dash")).text("v").send(), 200);
        Set<String> exported = metricNames(scrape());

        List<String> expressions = new ArrayList<>();
        JsonNode dashboard = Api.JSON.readTree(Files.readString(DASHBOARD));
        dashboard.findValues("expr").forEach(e -> expressions.add(e.asText()));
        dashboard.findValues("definition").forEach(e -> expressions.add(e.asText()));
        Files.readString(RULES).lines().map(String::strip).filter(l -> l.startsWith("expr:"))
                .forEach(l -> expressions.add(l.substring("expr:".length())));
        assertThat(expressions).as("expressions in the dashboard and the rules").hasSizeGreaterThan(20);

        Set<String> used = new TreeSet<>();
        for (String expression : expressions) {
            Set<String> names = selected(expression);
            assertThat(names).as("metrics selected by %s", expression).isNotEmpty();
            used.addAll(names);
        }
        used.removeAll(PROMETHEUS_SERIES);
        assertThat(used).contains("latchkey_has_leader", "latchkey_raft_leader_changes_total",
                "latchkey_storage_fsync_seconds_bucket", "latchkey_state_quota_alarm", "latchkey_api_requests_seconds_bucket");
        assertThat(exported).as("series on /metrics").containsAll(used);
    }

    private String scrape() {
        return assertStatus(api.get("/metrics").header("Accept", "text/plain").send(), 200).text();
    }

    private static Set<String> selected(String expression) {
        Set<String> names = new TreeSet<>();
        Matcher m = SELECTED.matcher(expression);
        while (m.find()) {
            names.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return names;
    }

    /** The names of the series in Prometheus text, with their suffixes (_total, _bucket, ...). */
    private static Set<String> metricNames(String metrics) {
        return metrics.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Label sets of {@code name}'s series, to their values. */
    private static Map<String, Double> series(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{"))
                .collect(Collectors.toMap(l -> l.substring(name.length(), l.lastIndexOf('}') + 1),
                        l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))));
    }

    private static double count(Map<String, Double> counts, String method, String route, String status) {
        return counts.entrySet().stream()
                .filter(e -> e.getKey().contains("method=\"" + method + "\"") && e.getKey().contains("route=\"" + route + "\"")
                        && e.getKey().contains("status=\"" + status + "\""))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    /** The value of the first series {@code name} in Prometheus text. */
    private static double value(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + name + " in\n" + metrics));
    }
}
