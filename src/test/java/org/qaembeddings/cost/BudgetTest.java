package org.qaembeddings.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.qaembeddings.embedding.EmbeddingWorker;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** A spent daily budget stops provider calls, not saves, and says so in the health figures. */
@AutoConfigureMetrics
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.health.stats-cache-ttl=0s",
            "embedding.cost.rates.fake-embedding=1",
            "embedding.cost.budget.daily-usd=0.001",
            "embedding.cost.budget.monthly-usd=0.5"
        })
class BudgetTest extends DatabaseTest {

    @Autowired
    EmbeddingWorker worker;

    @Test
    void reachedBudgetPausesProviderCallsButNotSaves() {
        api.create("First question?", "It is embedded while the budget lasts.");
        assertThat(api.get("/api/embeddings/health").json().path("pausedReason").isNull())
                .isTrue();
        assertThat(api.get("/actuator/health/embeddings").status()).isEqualTo(200);

        // at 1 USD per 1K tokens, one call of a few tokens spends the 0.001 USD of the day
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(OPENAI.requests()).hasSize(1);

        String second = api.create("Second question?", "Saved, but not embedded today.");
        assertThat(worker.pollOnce()).isZero();
        assertThat(OPENAI.requests()).as("no call once the budget is spent").hasSize(1);
        assertThat(api.get("/api/qa-pairs/" + second + "/embedding")
                        .json()
                        .path("status")
                        .asString())
                .isEqualTo("PENDING");

        Api.Response batch = api.post("/api/embeddings/batch", "{\"qaPairIds\": [\"" + second + "\"]}");
        assertThat(batch.json().path("failed").asInt()).isEqualTo(1);
        assertThat(batch.json().path("errors").get(0).asString())
                .startsWith(second + ": not sent: daily budget of 0.001 USD reached");
        assertThat(OPENAI.requests()).hasSize(1);
        assertThat(api.get("/api/qa-pairs/" + second + "/embedding")
                        .json()
                        .path("status")
                        .asString())
                .isEqualTo("PENDING");

        assertThat(api.get("/api/embeddings/health").json().path("pausedReason").asString())
                .contains("daily budget");
        Api.Response contributor = api.get("/actuator/health/embeddings");
        assertThat(contributor.status()).isEqualTo(503);
        assertThat(contributor.json().path("status").asString()).isEqualTo("OUT_OF_SERVICE");
        assertThat(api.get("/actuator/health/readiness").status())
                .as("the node still serves")
                .isEqualTo(200);
        String third = api.create("Third?", "Saves go on.");
        assertThat(api.get("/api/qa-pairs/" + third)
                        .json()
                        .path("embedding")
                        .path("status")
                        .asString())
                .as("saves go on while the budget is spent")
                .isEqualTo("PENDING");
        assertThat(OPENAI.requests()).as("and nothing is sent for them").hasSize(1);
    }

    @Test
    void budgetStatusShowsTodayAndThisMonthAgainstTheLimits() {
        JsonNode before = api.get("/api/embeddings/budget").json();
        assertThat(before.path("todayUsd").decimalValue()).isZero();
        assertThat(before.path("dailyUsd").decimalValue()).isEqualByComparingTo("0.001");
        assertThat(before.path("monthlyUsd").decimalValue()).isEqualByComparingTo("0.5");
        assertThat(before.path("zone").asString()).isEqualTo("UTC");
        assertThat(prometheusRatio("day")).isZero();

        api.create("Priced question?", "One call, billed at 1 USD per 1K tokens.");
        assertThat(worker.pollOnce()).isEqualTo(1);
        BigDecimal billed = api.get("/api/embeddings/costs")
                .json()
                .path("total")
                .path("costUsd")
                .decimalValue();
        assertThat(billed).isPositive();

        JsonNode after = api.get("/api/embeddings/budget").json();
        assertThat(after.path("day").asString())
                .isEqualTo(LocalDate.now(ZoneOffset.UTC).toString());
        assertThat(after.path("todayUsd").decimalValue()).isEqualByComparingTo(billed);
        assertThat(after.path("monthUsd").decimalValue()).isEqualByComparingTo(billed);
        assertThat(prometheusRatio("day")).isCloseTo(billed.doubleValue() / 0.001, within(1e-9));
        assertThat(prometheusRatio("month")).isCloseTo(billed.doubleValue() / 0.5, within(1e-9));
        assertThat(api.get("/actuator/prometheus").body()).contains("embedding_budget_used_ratio{period=\"day\"}");
    }

    private double prometheusRatio(String period) {
        String line = "embedding_budget_used_ratio{period=\"" + period + "\"} ";
        return api.get("/actuator/prometheus")
                .body()
                .lines()
                .filter(l -> l.startsWith(line))
                .findFirst()
                .map(l -> Double.parseDouble(l.substring(line.length())))
                .orElseThrow();
    }
}
