package org.qaembeddings.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.qaembeddings.embedding.EmbeddingWorker;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** Every billed provider call is recorded, priced exactly, and summed per day. */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.cost.rates.fake-embedding=0.5"})
class CostTrackingTest extends DatabaseTest {

    @Autowired
    CostService costs;

    @Autowired
    EmbeddingWorker worker;

    /** The stand-in bills one token per whitespace-separated word. */
    private long billedTokens() {
        return OPENAI.allInputs().stream()
                .mapToLong(s -> Arrays.stream(s.split("\\s+")).count())
                .sum();
    }

    private record Row(String model, int tokens, int items, BigDecimal costUsd) {}

    private List<Row> costRows() {
        return jdbc.sql("SELECT model, tokens, items, cost_usd FROM embedding_cost ORDER BY id")
                .query((rs, n) -> new Row(
                        rs.getString("model"), rs.getInt("tokens"), rs.getInt("items"), rs.getBigDecimal("cost_usd")))
                .list();
    }

    @Test
    void tracksTokensUsed() {
        String a = api.create("How are tokens counted?", "By the provider, per call.");
        String b = api.create("Who pays?", "Whoever holds the API key.");

        Api.Response response = api.post("/api/embeddings/batch", "{\"qaPairIds\": [\"" + a + "\", \"" + b + "\"]}");

        assertThat(response.json().path("successful").asInt()).isEqualTo(2);
        long tokens = billedTokens();
        assertThat(tokens).isPositive();
        assertThat(costRows())
                .containsExactly(new Row(
                        "fake-embedding",
                        (int) tokens,
                        2,
                        new BigDecimal("0.5")
                                .multiply(BigDecimal.valueOf(tokens))
                                .divide(BigDecimal.valueOf(1000))
                                .setScale(10)));
    }

    @Test
    void workerCallsAreBilledToo() {
        api.create("Does the background worker count?", "Yes, every call that consumed tokens.");

        assertThat(worker.pollOnce()).isEqualTo(1);

        assertThat(costRows()).hasSize(1);
        assertThat(costRows().get(0).tokens()).isEqualTo((int) billedTokens());
        assertThat(costRows().get(0).items()).isEqualTo(1);
    }

    @Test
    void aModelWithoutARateIsRecordedAtZero() {
        CostRecord record =
                costs.record("a-model-nobody-priced", null, 5_000, 1, Instant.parse("2026-05-01T10:00:00Z"));

        assertThat(record.costUsd()).isEqualByComparingTo("0");
        assertThat(costRows())
                .singleElement()
                .satisfies(row -> assertThat(row.costUsd()).isEqualByComparingTo("0"));
    }

    @Test
    void aggregatesDailyCost() {
        costs.record("fake-embedding", null, 100, 3, Instant.parse("2026-05-01T10:00:00Z"));
        costs.record("fake-embedding", null, 200, 5, Instant.parse("2026-05-01T23:30:00Z"));
        costs.record("text-embedding-3-small", null, 1_000, 10, Instant.parse("2026-05-02T01:00:00Z"));
        costs.record("text-embedding-3-small", null, 1_000, 10, Instant.parse("2026-05-02T01:05:00Z"));
        costs.record("fake-embedding", null, 999, 1, Instant.parse("2026-05-03T00:00:00Z")); // outside the range

        CostReport utc = costs.report(LocalDate.parse("2026-05-01"), LocalDate.parse("2026-05-02"), ZoneOffset.UTC);

        assertThat(utc.days())
                .containsExactly(
                        new DailyCost(
                                LocalDate.parse("2026-05-01"),
                                "fake-embedding",
                                CallPurpose.DOCUMENT,
                                2,
                                300,
                                new BigDecimal("0.1500000000")),
                        new DailyCost(
                                LocalDate.parse("2026-05-02"),
                                "text-embedding-3-small",
                                CallPurpose.DOCUMENT,
                                2,
                                2_000,
                                new BigDecimal("0.0000400000")));
        assertThat(utc.total()).isEqualTo(new CostReport.Total(4, 2_300, new BigDecimal("0.1500400000")));

        // in Tokyo (UTC+9) the 23:30 UTC call falls on the next day
        CostReport tokyo =
                costs.report(LocalDate.parse("2026-05-01"), LocalDate.parse("2026-05-02"), ZoneId.of("Asia/Tokyo"));
        assertThat(tokyo.days())
                .extracting(DailyCost::day, DailyCost::model, DailyCost::calls, DailyCost::tokens)
                .containsExactly(
                        Tuple.tuple(LocalDate.parse("2026-05-01"), "fake-embedding", 1L, 100L),
                        Tuple.tuple(LocalDate.parse("2026-05-02"), "fake-embedding", 1L, 200L),
                        Tuple.tuple(LocalDate.parse("2026-05-02"), "text-embedding-3-small", 2L, 2_000L));
    }

    @Test
    void daysFollowQuarterHourZones() {
        // Kathmandu is UTC+5:45: its 2 May begins at 18:15 UTC on 1 May
        costs.record("fake-embedding", null, 10, 1, Instant.parse("2026-05-01T18:14:59Z"));
        costs.record("fake-embedding", null, 20, 1, Instant.parse("2026-05-01T18:15:00Z"));

        CostReport report =
                costs.report(LocalDate.parse("2026-05-01"), LocalDate.parse("2026-05-02"), ZoneId.of("Asia/Kathmandu"));

        assertThat(report.days())
                .extracting(DailyCost::day, DailyCost::tokens)
                .containsExactly(
                        Tuple.tuple(LocalDate.parse("2026-05-01"), 10L),
                        Tuple.tuple(LocalDate.parse("2026-05-02"), 20L));
    }

    @Test
    void costEndpointReportsDailyTotals() {
        costs.record("fake-embedding", null, 100, 3, Instant.parse("2026-05-01T10:00:00Z"));
        costs.record("fake-embedding", null, 300, 3, Instant.parse("2026-05-01T23:30:00Z"));

        Api.Response response = api.get("/api/embeddings/costs?from=2026-05-01&to=2026-05-02&zone=Asia/Tokyo");

        assertThat(response.status()).isEqualTo(200);
        JsonNode days = response.json().path("days");
        assertThat(days).hasSize(2);
        assertThat(days.get(0).path("day").asString()).isEqualTo("2026-05-01");
        assertThat(days.get(0).path("model").asString()).isEqualTo("fake-embedding");
        assertThat(days.get(0).path("calls").asLong()).isEqualTo(1);
        assertThat(days.get(0).path("tokens").asLong()).isEqualTo(100);
        assertThat(days.get(0).path("costUsd").decimalValue()).isEqualByComparingTo("0.05");
        assertThat(days.get(1).path("costUsd").decimalValue()).isEqualByComparingTo("0.15");
        assertThat(response.json().path("total").path("costUsd").decimalValue()).isEqualByComparingTo("0.2");
        assertThat(response.json().path("total").path("tokens").asLong()).isEqualTo(400);
        assertThat(response.json().path("zone").asString()).isEqualTo("Asia/Tokyo");

        costs.record("fake-embedding", null, 1, 1, Instant.parse("2026-05-20T10:00:00Z"));
        Api.Response tiny = api.get("/api/embeddings/costs?from=2026-05-20&to=2026-05-20");
        assertThat(tiny.body())
                .as("plain decimals, no exponent")
                .contains("\"costUsd\":0.0005000000")
                .doesNotContain("E-");

        Api.Response defaults = api.get("/api/embeddings/costs");
        assertThat(defaults.status()).isEqualTo(200);
        assertThat(defaults.json().path("zone").asString()).isEqualTo("UTC");
    }

    @Test
    void costEndpointRejectsBadRanges() {
        for (String query : new String[] {
            "?zone=Mars/Olympus",
            "?from=2026-05-03&to=2026-05-01",
            "?from=yesterday",
            "?from=2025-01-01&to=2026-05-01",
            "?to=2026-13-01"
        }) {
            Api.Response response = api.get("/api/embeddings/costs" + query);
            assertThat(response.status()).as(query).isEqualTo(400);
            assertThat(response.header("Content-Type")).as(query).startsWith("application/problem+json");
        }
    }

    @Test
    void concurrentRecordsIntoOneBucketAllCount() throws Exception {
        Instant at = Instant.parse("2026-06-01T12:00:00Z");
        var pool = Executors.newFixedThreadPool(4);
        try {
            var futures = new ArrayList<Future<?>>();
            for (int i = 0; i < 40; i++) {
                futures.add(pool.submit(() -> costs.record("fake-embedding", null, 10, 1, at)));
            }
            for (var f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        CostReport report = costs.report(LocalDate.parse("2026-06-01"), LocalDate.parse("2026-06-01"), ZoneOffset.UTC);
        assertThat(report.total().calls()).isEqualTo(40);
        assertThat(report.total().tokens()).isEqualTo(400);
    }
}
