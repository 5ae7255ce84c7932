package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.support.MutableClock;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/**
 * The health figures come from per-status counts kept beside the rows. Whatever happens to the
 * rows (saves, updates, deletes, claims, failures, retries, expired leases, rate limits), the
 * counts must equal a count of the rows.
 */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.batch-size=7", "embedding.lease=30s"})
class StatusCountsTest extends ClockDrivenTest {

    @Autowired
    EmbeddingService embeddings;

    @Autowired
    StartupRecount startupRecount;

    private Map<EmbeddingStatus, Long> actual() {
        Map<EmbeddingStatus, Long> counts = new EnumMap<>(EmbeddingStatus.class);
        for (EmbeddingStatus status : EmbeddingStatus.values()) {
            counts.put(status, 0L);
        }
        jdbc.sql("SELECT status, COUNT(*) AS n FROM qa_embedding GROUP BY status")
                .query(rs -> {
                    counts.put(EmbeddingStatus.valueOf(rs.getString("status")), rs.getLong("n"));
                });
        return counts;
    }

    private Map<EmbeddingStatus, Long> reported() {
        EmbeddingHealthStats stats = embeddings.getHealthStats();
        return Map.of(
                EmbeddingStatus.PENDING,
                stats.pendingCount() - stats.processingCount(),
                EmbeddingStatus.PROCESSING,
                stats.processingCount(),
                EmbeddingStatus.COMPLETED,
                stats.completedCount(),
                EmbeddingStatus.FAILED,
                stats.failedCount());
    }

    @Test
    void countsFollowEveryKindOfChange() {
        // the saves over HTTP are stamped by the real clock: this worker's clock starts there
        MutableClock clock = new MutableClock(Instant.now());
        EmbeddingWorker worker = newWorker(clock);
        Random random = new Random(42);
        // the stand-in answers at random: vectors, a rejected input, a server error, a rate limit
        OPENAI.behave(request -> switch (random.nextInt(6)) {
            case 0 -> FakeOpenAiServer.Reply.json(400, "{\"error\": {\"message\": \"bad input\"}}");
            case 1 -> FakeOpenAiServer.Reply.json(500, "{}");
            case 2 -> FakeOpenAiServer.Reply.json(429, "{}").withHeader("Retry-After", "3");
            default -> OPENAI.vectors(request);
        });
        List<String> ids = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < 3; i++) {
                ids.add(api.create("Question " + round + "." + i + "?", "Answer " + random.nextInt(3)));
            }
            String someone = ids.get(random.nextInt(ids.size()));
            switch (random.nextInt(5)) {
                case 0 -> api.put("/api/qa-pairs/" + someone, Api.pairJson("Changed " + round + "?", "New answer"));
                case 1 ->
                    api.put(
                            "/api/qa-pairs/" + someone,
                            api.get("/api/qa-pairs/" + someone)
                                    .body()
                                    .replaceAll(
                                            "\\{.*\"question\":(\"[^\"]*\").*\"answer\":(\"[^\"]*\").*",
                                            "{\"question\":$1,\"answer\":$2}"));
                case 2 -> {
                    api.delete("/api/qa-pairs/" + someone);
                    ids.remove(someone);
                }
                case 3 ->
                    transactions.executeWithoutResult(tx -> repository.claimDue(
                            clock.instant(), clock.instant().plusSeconds(30), 2, 3)); // a worker dies
                default -> embeddings.batchGenerate(List.of(UUID.fromString(someone)));
            }
            worker.pollOnce();
            if (round % 7 == 0) {
                embeddings.retryFailedEmbeddings();
            }
            clock.advance(Duration.ofSeconds(11));
            assertThat(reported()).as("round " + round).isEqualTo(actual());
        }
        assertThat(actual().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(ids.size());
        assertThat(actual().get(EmbeddingStatus.COMPLETED)).isPositive();
        assertThat(actual().get(EmbeddingStatus.FAILED)).isPositive();
    }

    @Test
    void startUpRecountRepairsCountsChangedBehindTheServicesBack() {
        api.create("Counted?", "yes");
        api.create("Counted too?", "yes");
        // an operator's hand edit: the rows move, the counts do not
        jdbc.sql("UPDATE qa_embedding SET status = 'FAILED', error_kind = 'PERMANENT'")
                .update();
        assertThat(reported()).isNotEqualTo(actual());

        embeddings.reconcileCounts();

        assertThat(reported()).isEqualTo(actual());
        assertThat(reported().get(EmbeddingStatus.FAILED)).isEqualTo(2);
    }

    @Test
    void countsAreCheckedAgainstTheRowsInTheBackgroundAfterStartUp() {
        api.create("Counted later?", "yes");
        jdbc.sql("UPDATE qa_embedding SET status = 'FAILED', error_kind = 'PERMANENT'")
                .update();
        assertThat(reported()).isNotEqualTo(actual());

        startupRecount.schedule(Duration.ZERO); // what start-up does, embedding.recount-delay after it

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(reported()).isEqualTo(actual()));
        assertThat(reported().get(EmbeddingStatus.FAILED)).isEqualTo(1);
    }
}
