package org.qaembeddings.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.qaembeddings.embedding.EmbeddingWorker;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.system.Timestamps;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** The health figures, the actuator contributor and the Prometheus meters. */
@AutoConfigureMetrics
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.health.stats-cache-ttl=0s",
            "embedding.health.max-pending-age=10m"
        })
class HealthStatsTest extends DatabaseTest {

    private static final String UNAUTHORIZED = "{\"error\": {\"message\": \"Incorrect API key provided\"}}";

    @Autowired
    EmbeddingService embeddings;

    @Autowired
    EmbeddingWorker worker;

    private JsonNode health() {
        Api.Response response = api.get("/api/embeddings/health");
        assertThat(response.status()).isEqualTo(200);
        return response.json();
    }

    @Test
    void reportsPendingCount() throws Exception {
        assertThat(health().path("pendingCount").asLong()).isZero();
        assertThat(health().path("circuitState").asString()).isEqualTo("CLOSED");
        api.create("One?", "1");
        api.create("Two?", "2");
        api.create("Three?", "3");

        assertThat(health().path("pendingCount").asLong()).isEqualTo(3);

        // rows a worker holds are still waiting for their vectors
        CountDownLatch calling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OPENAI.behave(request -> {
            calling.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return OPENAI.vectors(request);
        });
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> poll = thread.submit(worker::pollOnce);
            assertThat(calling.await(30, TimeUnit.SECONDS)).isTrue();
            EmbeddingHealthStats during = embeddings.getHealthStats();
            assertThat(during.pendingCount()).isEqualTo(3);
            assertThat(during.processingCount()).isEqualTo(3);
            release.countDown();
            assertThat(poll.get(30, TimeUnit.SECONDS)).isEqualTo(3);
        } finally {
            release.countDown();
            thread.shutdownNow();
        }
        EmbeddingHealthStats after = embeddings.getHealthStats();
        assertThat(after.pendingCount()).isZero();
        assertThat(after.processingCount()).isZero();
        assertThat(after.completedCount()).isEqualTo(3);
    }

    @Test
    void reportsFailedCount() {
        api.create("Fails for now?", "garbled answer");
        api.create("Fails too?", "garbled answer");
        // garbled for these texts only: the probe is answered, so the failures are the rows'
        OPENAI.behave(request -> request.inputs().stream().anyMatch(t -> t.contains("garbled answer"))
                ? FakeOpenAiServer.Reply.json(200, "{\"data\": \"garbled\"}")
                : OPENAI.vectors(request));
        worker.pollOnce();

        assertThat(health().path("failedCount").asLong()).isEqualTo(2);
        assertThat(health().path("deadLetterCount").asLong())
                .as("transient, will be retried")
                .isZero();
        assertThat(health().path("pendingCount").asLong()).isZero();

        // refused with a good pair beside it: sent apart, the good one is answered, the bad one fails for good
        api.create("Fails for good?", "REJECTED input");
        api.create("Passes beside it?", "fine");
        OPENAI.behave(request -> request.inputs().stream().anyMatch(t -> t.contains("REJECTED"))
                ? FakeOpenAiServer.Reply.json(400, "{\"error\": {\"message\": \"bad input\"}}")
                : OPENAI.vectors(request));
        worker.pollOnce();

        assertThat(health().path("failedCount").asLong()).isEqualTo(3);
        assertThat(health().path("deadLetterCount").asLong()).isEqualTo(1);

        // the list, oldest failure first by default, newest first for the dashboard, each with its question
        List<String> oldestFirst = new ArrayList<>();
        api.get("/api/embeddings/failed")
                .json()
                .path("items")
                .forEach(i -> oldestFirst.add(i.path("question").asString()));
        assertThat(oldestFirst).hasSize(3).last().isEqualTo("Fails for good?");
        List<String> newestFirst = new ArrayList<>();
        api.get("/api/embeddings/failed?newestFirst=true")
                .json()
                .path("items")
                .forEach(i -> newestFirst.add(i.path("question").asString()));
        Collections.reverse(newestFirst);
        assertThat(newestFirst).isEqualTo(oldestFirst);
    }

    @Test
    void reportsSuccessRate() {
        assertThat(health().path("successRate").isNull())
                .as("nothing finished yet")
                .isTrue();
        api.create("Good one?", "yes");
        api.create("Good two?", "yes");
        worker.pollOnce();
        assertThat(health().path("successRate").asDouble()).isEqualTo(1.0);

        api.create("Bad one?", "REJECTED");
        api.create("Good three?", "yes");
        OPENAI.behave(request -> request.inputs().stream().anyMatch(t -> t.contains("REJECTED"))
                ? FakeOpenAiServer.Reply.json(400, "{\"error\": {\"message\": \"bad input\"}}")
                : OPENAI.vectors(request));
        worker.pollOnce();

        assertThat(health().path("completedCount").asLong()).isEqualTo(3);
        assertThat(health().path("successRate").asDouble()).isCloseTo(3.0 / 4, within(1e-9));
    }

    @Test
    void reportsOldestPending() {
        assertThat(health().path("oldestPending").isNull()).isTrue();
        String waiting = api.create("Waiting long?", "an hour");
        api.create("Just arrived?", "now");
        Instant anHourAgo = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
        jdbc.sql("UPDATE qa_embedding SET pending_since = :t WHERE qa_pair_id = :id")
                .param("t", Timestamps.toDb(anHourAgo))
                .param("id", UUID.fromString(waiting))
                .update();

        JsonNode stats = health();
        assertThat(Instant.parse(stats.path("oldestPending").asString())).isEqualTo(anHourAgo);
        assertThat(stats.path("oldestPendingAgeSeconds").asLong()).isBetween(3600L, 3700L);
        Api.Response contributor = api.get("/actuator/health/embeddings");
        assertThat(contributor.status())
                .as("older than embedding.health.max-pending-age")
                .isEqualTo(503);
        assertThat(contributor.json().path("status").asString()).isEqualTo("DOWN");

        worker.pollOnce();

        assertThat(health().path("oldestPending").isNull()).isTrue();
        assertThat(api.get("/actuator/health/embeddings").status()).isEqualTo(200);
    }

    @Test
    void prometheusExportsPipelineMeters() {
        api.create("Measured?", "yes");
        api.create("Measured too?", "yes");
        worker.pollOnce();
        api.create("Still waiting?", "yes");

        Api.Response scrape = api.get("/actuator/prometheus");

        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body())
                .contains("embedding_pending 1.0")
                .contains("embedding_completed 2.0")
                .contains("embedding_failed 0.0")
                .contains("embedding_oldest_pending_age_seconds ")
                .containsPattern("embedding_tokens_total\\{model=\"fake-embedding\"} [1-9]")
                .contains("embedding_cost_usd_total{model=\"fake-embedding\"}")
                // the registry lives as long as the context: other tests of this class count too
                .containsPattern(
                        "embedding_provider_calls_seconds_count\\{model=\"fake-embedding\",outcome=\"success\"} [1-9]");
    }

    @Test
    void onlyHealthAndPrometheusAreExposed() {
        assertThat(api.get("/actuator/env").status()).isEqualTo(404);
        assertThat(api.get("/actuator/beans").status()).isEqualTo(404);
        JsonNode health = api.get("/actuator/health").json();
        assertThat(health.path("components").path("embeddings").path("status").asString())
                .isNotEmpty();
        assertThat(health.findValues("details")).as("no details without auth").isEmpty();
    }
}
