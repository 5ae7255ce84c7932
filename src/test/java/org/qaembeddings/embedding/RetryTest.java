package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.system.Timestamps;
import org.springframework.test.context.TestPropertySource;

/**
 * Retries, their limit and their backoff. A worker and service are built here on a
 * clock the test moves, with the jitter draw fixed at 0.5, and driven one {@code pollOnce()} at a
 * time: the schedule is checked to the millisecond without sleeping.
 */
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.max-retries=5",
            "embedding.retry.base-delay=2s",
            "embedding.retry.max-delay=60s"
        })
class RetryTest extends ClockDrivenTest {

    private static final String SERVER_ERROR =
            "{\"error\": {\"message\": \"The server had an error\", \"type\": \"server_error\"}}";

    private UUID insertPair(String question) {
        return insertPair(question, "a");
    }

    /** A pair whose own text the provider garbles (see {@link #alwaysFailing}). */
    private UUID insertFailingPair(String question) {
        return insertPair(question, GARBLED);
    }

    /**
     * The provider garbles the answer to any request holding a pair's answer {@value #GARBLED},
     * and answers others: a failure that points at those rows, once the probe shows the provider
     * answering (a 5xx or a timeout says the provider is down, and charges nothing; see
     * {@link #scheduledPollsHealTransientFailures}).
     */
    private void alwaysFailing() {
        provider(request -> request.inputs().stream().anyMatch(t -> t.contains(GARBLED))
                ? FakeOpenAiServer.Reply.json(200, "{\"data\": \"garbled\"}")
                : OPENAI.vectors(request));
    }

    private static final String GARBLED = "answer garbled by the provider";

    private EmbeddingDetail detail(UUID id) {
        return reads.findDetail(id).orElseThrow();
    }

    private Instant nextAttemptAt(UUID id) {
        return jdbc.sql("SELECT next_attempt_at FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", id)
                .query((rs, n) -> Timestamps.fromDb(rs, "next_attempt_at"))
                .single();
    }

    /** Polls every 100 ms of test time for {@code span}. */
    private void runFor(Duration span) {
        runFor(span, Duration.ofMillis(100));
    }

    private long costRows() {
        return jdbc.sql("SELECT COUNT(*) FROM embedding_cost").query(Long.class).single();
    }

    @Test
    void retryFailedEmbeddings() {
        UUID a = insertFailingPair("Retry A?");
        UUID b = insertFailingPair("Retry B?");
        alwaysFailing();
        worker.pollOnce();
        assertThat(detail(a).status()).isEqualTo(EmbeddingStatus.FAILED);
        assertThat(detail(a).lastError()).contains("invalid provider response");
        assertThat(nextAttemptAt(a)).as("next attempt persisted in the row").isEqualTo(T0.plusSeconds(2));
        assertThat(requestTimes)
                .as("the batch, each row alone, and the probe that shows the provider answering")
                .hasSize(4);
        assertThat(costRows())
                .as("a failed call bills nothing; the probe is billed")
                .isEqualTo(1);

        provider(OPENAI::vectors);
        assertThat(service.retryFailedEmbeddings())
                .as("before the backoff has passed")
                .isEqualTo(new BatchResult(0, 0, List.of()));

        clock.advance(Duration.ofSeconds(2));
        BatchResult result = service.retryFailedEmbeddings();

        assertThat(result).isEqualTo(new BatchResult(2, 0, List.of()));
        assertThat(detail(a).status()).isEqualTo(EmbeddingStatus.COMPLETED);
        assertThat(detail(b).attempts()).isEqualTo(2);
        assertThat(requestTimes).hasSize(5);
        assertThat(costRows()).as("the retry's call is billed").isEqualTo(2);
    }

    @Test
    void maxRetryCountEnforced() {
        UUID id = insertFailingPair("Never works?");
        alwaysFailing();

        runFor(Duration.ofMinutes(10), Duration.ofSeconds(1));

        assertThat(requestTimes)
                .as("per attempt one call and one probe, no more")
                .hasSize(10);
        assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.FAILED);
        assertThat(detail(id).attempts()).isEqualTo(5);
        assertThat(service.retryFailedEmbeddings()).isEqualTo(new BatchResult(0, 0, List.of()));
        assertThat(service.retryFailedEmbeddings(5)).isEqualTo(new BatchResult(0, 0, List.of()));
        assertThat(requestTimes).hasSize(10);
        List<EmbeddingReads.FailedRow> deadLetters = service.failed(0, 20, true, false);
        assertThat(deadLetters).extracting(EmbeddingReads.FailedRow::qaPairId).containsExactly(id);
        Api.Response listed = api.get("/api/embeddings/failed?deadLettersOnly=true");
        assertThat(listed.json().path("items").get(0).path("qaPairId").asString())
                .isEqualTo(id.toString());
        assertThat(listed.json().path("items").get(0).path("attempts").asInt()).isEqualTo(5);
        assertThat(listed.json().path("items").get(0).path("nextAttemptAt").isNull())
                .as("nothing retries it by itself")
                .isTrue();

        // an operator may allow more, once the cause is fixed
        provider(OPENAI::vectors);
        assertThat(service.retryFailedEmbeddings(6).successful()).isEqualTo(1);
        assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.COMPLETED);
    }

    @Test
    void backoffBetweenRetries() {
        insertFailingPair("Flaky?");
        alwaysFailing();

        runFor(Duration.ofSeconds(40));

        // with u = 0.5: waits of 2 s, 3 s, 5 s, 9 s after attempts 1..4 (base 2 s, doubling ceiling);
        // each attempt is a call and the probe beside it
        List<Instant> attempts = requestTimes.stream().distinct().toList();
        assertThat(requestTimes).hasSize(2 * attempts.size());
        assertThat(attempts)
                .containsExactly(T0, T0.plusSeconds(2), T0.plusSeconds(5), T0.plusSeconds(10), T0.plusSeconds(19));
        for (int i = 1; i < attempts.size(); i++) {
            Duration gap = Duration.between(attempts.get(i - 1), attempts.get(i));
            assertThat(gap).isGreaterThanOrEqualTo(properties.backoff().delay(i, 0.5));
        }
    }

    @Test
    void retryAfterIsHonouredAndDoesNotBurnAnAttempt() {
        UUID id = insertPair("Rate limited?");
        provider(request -> requestTimes.size() == 1
                ? FakeOpenAiServer.Reply.json(429, "{\"error\": {\"message\": \"Rate limit reached\"}}")
                        .withHeader("Retry-After", "30")
                : OPENAI.vectors(request));

        runFor(Duration.ofSeconds(29).plusMillis(900));
        assertThat(requestTimes).as("nothing is sent before Retry-After").containsExactly(T0);
        assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.PENDING);
        assertThat(detail(id).attempts()).isZero();
        assertThat(service.getHealthStats().pausedReason()).contains("rate limit");

        runFor(Duration.ofMillis(200));
        assertThat(requestTimes).containsExactly(T0, T0.plusSeconds(30));
        assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.COMPLETED);
        assertThat(detail(id).attempts()).isEqualTo(1);
    }

    @Test
    void rateLimitResetHeaderIsHonoured() {
        insertPair("Token limit?");
        provider(request -> requestTimes.size() == 1
                ? FakeOpenAiServer.Reply.json(429, "{\"error\": {\"message\": \"Rate limit reached\"}}")
                        .withHeader("x-ratelimit-reset-tokens", "0m45s")
                        .withHeader("x-ratelimit-reset-requests", "20ms")
                : OPENAI.vectors(request));

        runFor(Duration.ofMinutes(3), Duration.ofSeconds(1));

        assertThat(requestTimes).containsExactly(T0, T0.plusSeconds(45));
    }

    @Test
    void aStormOf429sWithoutHeadersPausesTheNodeAndChargesNoRow() {
        List<UUID> ids = List.of(
                insertPair("Storm one?"),
                insertPair("Storm two?"),
                insertPair("Storm three?"),
                insertPair("Storm four?"));
        provider(request -> requestTimes.size() <= 6
                ? FakeOpenAiServer.Reply.json(429, "{\"error\": {\"message\": \"Rate limit reached\"}}")
                : OPENAI.vectors(request));

        runFor(Duration.ofMinutes(5), Duration.ofSeconds(1));

        assertThat(requestTimes)
                .as("six 429s, then the call that embeds all four")
                .hasSize(7);
        for (int i = 1; i < requestTimes.size(); i++) {
            assertThat(Duration.between(requestTimes.get(i - 1), requestTimes.get(i)))
                    .as("the node's pause grows with each 429 in a row")
                    .isGreaterThanOrEqualTo(properties.backoff().delay(i, 0.5));
        }
        for (UUID id : ids) {
            assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.COMPLETED);
            assertThat(detail(id).attempts())
                    .as("a rate limit is not the row's fault")
                    .isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Retry-After: 99999999",
                "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT",
                "x-ratelimit-reset-requests: 99999h",
                "x-ratelimit-reset-tokens: 999999999999m0s"
            })
    void noWaitTheProviderAsksForPausesTheNodeLongerThanMaxDelay(String header) {
        UUID id = insertPair("Rate limited for years?");
        String name = header.substring(0, header.indexOf(':'));
        String value = header.substring(header.indexOf(':') + 1).trim();
        provider(request -> requestTimes.size() == 1
                ? FakeOpenAiServer.Reply.json(429, "{\"error\": {\"message\": \"Rate limit reached\"}}")
                        .withHeader(name, value)
                : OPENAI.vectors(request));

        worker.pollOnce();
        assertThat(service.getHealthStats().pausedReason())
                .as("the real end of the pause")
                .isEqualTo("provider rate limit: no calls before "
                        + T0.plus(properties.backoff().max()));
        assertThat(service.retryFailedEmbeddings(5).errors())
                .as("retry is refused only until then")
                .hasSize(1);

        runFor(properties.backoff().max().plusSeconds(1), Duration.ofSeconds(1));

        assertThat(requestTimes)
                .containsExactly(T0, T0.plus(properties.backoff().max()));
        assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.COMPLETED);
        assertThat(detail(id).attempts()).as("the rate limit cost no attempt").isEqualTo(1);
    }

    @Test
    void aRejectedInputFailsForGoodOnceAProbeShowsTheProviderAcceptsOthers() {
        UUID bad = insertPair("Rejected?");
        provider(request -> request.inputs().stream().anyMatch(t -> t.contains("Rejected?"))
                ? FakeOpenAiServer.Reply.json(400, "{\"error\": {\"message\": \"'$.input' is invalid.\"}}")
                : OPENAI.vectors(request));

        worker.pollOnce();
        assertThat(requestTimes)
                .as("the row's call, then the probe the provider answers")
                .hasSize(2);
        assertThat(OPENAI.requests().get(1).inputs()).containsExactly(ProviderGate.PROBE_TEXT);
        assertThat(detail(bad).status()).isEqualTo(EmbeddingStatus.FAILED);
        assertThat(detail(bad).attempts()).isEqualTo(1);
        assertThat(service.getHealthStats().deadLetterCount())
                .as("a rejected input is permanent")
                .isEqualTo(1);

        // beside a good one: the two are refused together; sent apart, the good one is answered,
        // which proves the bad one bad without a probe
        UUID good = insertPair("Accepted?");
        UUID alsoBad = insertPair("Rejected? Again");
        runFor(Duration.ofMinutes(10), Duration.ofSeconds(1));

        assertThat(requestTimes).as("together, then each alone").hasSize(5);
        assertThat(detail(good).status()).isEqualTo(EmbeddingStatus.COMPLETED);
        assertThat(detail(alsoBad).status()).isEqualTo(EmbeddingStatus.FAILED);
        assertThat(service.getHealthStats().deadLetterCount()).isEqualTo(2);

        // the operator's retry does try them again
        provider(OPENAI::vectors);
        assertThat(service.retryFailedEmbeddings().successful()).isEqualTo(2);
    }

    @Test
    void aProviderThatRejectsEveryRequestAlikeIsAConfigurationErrorNotAPoisonItem() {
        for (int i = 0; i < 64; i++) {
            insertPair("Dimensions " + i + "?");
        }
        provider(request -> FakeOpenAiServer.Reply.json(
                400, "{\"error\": {\"message\": \"This model does not support specifying dimensions.\"}}"));

        runFor(Duration.ofSeconds(30), Duration.ofSeconds(1));

        // the batch, its four parts and the probe; then one call per pause (2 s, 3 s, 5 s, 9 s, 17 s)
        assertThat(requestTimes.size()).as("calls in 30 s").isLessThanOrEqualTo(10);
        assertThat(rowsWithStatus("FAILED"))
                .as("no row is failed for the request's fault")
                .isZero();
        assertThat(jdbc.sql("SELECT SUM(attempts) FROM qa_embedding")
                        .query(Integer.class)
                        .single())
                .isZero();
        assertThat(service.getHealthStats().pausedReason())
                .contains("configuration error")
                .contains("does not support specifying dimensions");

        provider(OPENAI::vectors); // the operator drops embedding.openai.dimensions
        runFor(Duration.ofMinutes(2), Duration.ofSeconds(1));
        assertThat(rowsWithStatus("COMPLETED")).isEqualTo(64);
    }

    @Test
    void scheduledPollsHealTransientFailures() {
        UUID id = insertPair("Heals by itself?");
        provider(request ->
                requestTimes.size() <= 2 ? FakeOpenAiServer.Reply.json(503, SERVER_ERROR) : OPENAI.vectors(request));

        runFor(Duration.ofSeconds(10));

        assertThat(detail(id).status()).isEqualTo(EmbeddingStatus.COMPLETED);
        assertThat(detail(id).attempts())
                .as("the provider's outage cost the row no attempt")
                .isEqualTo(1);
        // the node paused 2 s, then 3 s (u = 0.5): the backoff is the node's while the provider is down
        assertThat(requestTimes).containsExactly(T0, T0.plusSeconds(2), T0.plusSeconds(5));
    }
}
