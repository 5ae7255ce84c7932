package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.embedding.EmbeddingWorker;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Grafana dashboard and the alert rules under {@code ops/} against the service's real
 * {@code /actuator/prometheus} output, checked with Prometheus' own {@code promtool}.
 */
@Tag("single-database")
@AutoConfigureMetrics
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.cost.budget.daily-usd=10"})
class OpsArtifactsTest extends DatabaseTest {

    private static final Path RULES = Path.of("ops", "prometheus", "alerts.yml");
    private static final Path RULE_TESTS = Path.of("ops", "prometheus", "alerts-test.yml");
    private static final Path GRAFANA = Path.of("ops", "grafana", "qa-embeddings.json");
    private static final Pattern METER = Pattern.compile("\\bembedding_[a-z_]+");

    @Autowired
    EmbeddingWorker worker;

    private String metrics;

    /** One provider call, so that its timer and the token and cost counters exist. */
    @BeforeEach
    void metricsAfterACall() {
        api.create("Which meters are there?", "Those the dashboard and the rules name.");
        assertThat(worker.pollOnce()).isEqualTo(1);
        metrics = api.get("/actuator/prometheus").body();
    }

    /**
     * The output parses (exit 1 would say it does not), and the linter finds nothing in our own
     * meters; what it finds in Micrometer's JVM, Tomcat and HTTP meters (no help text, "ms" in a
     * name) is theirs (exit 3).
     */
    @Test
    void promtoolAcceptsTheServicesMetrics() throws Exception {
        Result lint = promtool(metrics, "check", "metrics");
        assertThat(lint.exit()).as(lint.output()).isIn(0, 3);
        assertThat(lint.output().lines().filter(l -> l.startsWith("embedding_")))
                .as("findings in our meters")
                .isEmpty();
        assertThat(lint.output()).doesNotContainIgnoringCase("error");
    }

    @Test
    void promtoolAcceptsTheRulesAndTheirTests() throws Exception {
        Result check = promtool(null, "check", "rules", RULES.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 6 rules found");
        Result tests = promtool(null, "test", "rules", RULE_TESTS.toString());
        assertThat(tests.exit()).as(tests.output()).isZero();
    }

    @Test
    void everyMeterTheRulesAndTheDashboardNameIsExported() throws IOException {
        Set<String> exported = new HashSet<>();
        metrics.lines().filter(l -> !l.startsWith("#")).forEach(l -> exported.add(l.split("[{ ]", 2)[0]));
        Set<String> named = new TreeSet<>();
        for (Path file : List.of(RULES, GRAFANA)) {
            Matcher m = METER.matcher(Files.readString(file));
            while (m.find()) {
                named.add(m.group());
            }
        }
        assertThat(named)
                .contains(
                        "embedding_provider_calls_seconds_bucket",
                        "embedding_cost_usd_total",
                        "embedding_oldest_pending_age_limit_seconds",
                        "embedding_budget_used_ratio");
        for (String meter : named) {
            assertThat(exported).as("the service exports " + meter).contains(meter);
        }
    }

    @Test
    void grafanaDashboardIsImportable() throws IOException {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(GRAFANA));
        assertThat(dashboard.path("title").asString()).isEqualTo("qa-embeddings");
        Set<Integer> ids = new HashSet<>();
        List<String> titles = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt()))
                    .as("panel ids are unique")
                    .isTrue();
            assertThat(panel.path("datasource").path("uid").asString()).isEqualTo("${datasource}");
            assertThat(panel.path("targets").size())
                    .as(panel.path("title").asString())
                    .isPositive();
            titles.add(panel.path("title").asString());
        }
        assertThat(titles)
                .contains(
                        "Backlog",
                        "Throughput",
                        "Provider call latency by outcome",
                        "Provider error rate",
                        "Spend per day and model",
                        "Circuit");
    }

    private record Result(int exit, String output) {}

    /** Runs Debian's promtool; a missing promtool fails the test (`.ci/run` installs it). */
    private static Result promtool(String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("promtool");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("promtool finished")
                .isTrue();
        return new Result(process.exitValue(), output);
    }
}
