package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qaembeddings.system.Timestamps.toDb;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.TestDatabase;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The queue's SQL on its own, against each database, with the schema Flyway makes: no web layer, no
 * worker, no provider. Each test runs in a transaction that is rolled back, and checks after every
 * step that the kept counts equal a count of the rows.
 */
@Tag("db")
@JdbcTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@Import({EmbeddingRepository.class, EmbeddingCounts.class, ChangeHorizons.class})
class EmbeddingQueueTest {

    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final int MAX_ATTEMPTS = 3;
    private static final EmbeddingSetting SETTING =
            EmbeddingSetting.of("openai", "fake-embedding", 4, "{question} {answer}");

    @Autowired
    JdbcClient jdbc;

    @Autowired
    EmbeddingRepository queue;

    @Autowired
    EmbeddingCounts counts;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.freshProperties().forEach((k, v) -> registry.add(k, () -> v));
    }

    @AfterEach
    void countsEqualTheRows() {
        Map<EmbeddingStatus, Long> rows = new EnumMap<>(EmbeddingStatus.class);
        for (EmbeddingStatus status : EmbeddingStatus.values()) {
            rows.put(status, TestDatabase.rowsWithStatus(jdbc, status.name()));
        }
        EmbeddingCounts.Stats kept = counts.stats(MAX_ATTEMPTS);
        assertThat(Map.of(
                        EmbeddingStatus.PENDING, kept.pending(),
                        EmbeddingStatus.PROCESSING, kept.processing(),
                        EmbeddingStatus.COMPLETED, kept.completed(),
                        EmbeddingStatus.FAILED, kept.failed()))
                .isEqualTo(rows);
    }

    private UUID pair(String question) {
        UUID id = UUID.randomUUID();
        jdbc.sql("INSERT INTO qa_pair (id, question, answer, created_at, updated_at) "
                        + "VALUES (:id, :q, 'an answer', :t, :t)")
                .param("id", id)
                .param("q", question)
                .param("t", toDb(T0))
                .update();
        queue.insertPending(id, "hash-" + question, T0);
        return id;
    }

    private String status(UUID id) {
        return jdbc.sql("SELECT status FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", id)
                .query(String.class)
                .single();
    }

    private int attempts(UUID id) {
        return jdbc.sql("SELECT attempts FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", id)
                .query(Integer.class)
                .single();
    }

    private List<EmbeddingRepository.Claimed> claimDue(Instant now, int limit) {
        return queue.claimDue(now, now.plus(LEASE), limit, MAX_ATTEMPTS);
    }

    private static EmbeddingRepository.Completion vectorFor(EmbeddingRepository.Claimed claimed, String hash) {
        return new EmbeddingRepository.Completion(claimed.id(), hash, claimed.claim(), new float[] {1, 2, 3, 4});
    }

    private static EmbeddingRepository.Outcome outcome(
            EmbeddingRepository.Claimed claimed, ErrorKind kind, Instant next) {
        return new EmbeddingRepository.Outcome(claimed.id(), claimed.claim(), "the provider said no", kind, next);
    }

    @Test
    void aClaimTakesOnlyDueRowsUpToItsLimitAndLeasesThem() {
        UUID first = pair("first");
        UUID second = pair("second");
        UUID third = pair("third");

        assertThat(claimDue(T0.minusSeconds(1), 10))
                .as("nothing is due before it was saved")
                .isEmpty();
        List<EmbeddingRepository.Claimed> claimed = claimDue(T0, 2);

        assertThat(claimed).hasSize(2);
        assertThat(claimed).extracting(EmbeddingRepository.Claimed::attempts).containsOnly(1);
        assertThat(claimed)
                .extracting(EmbeddingRepository.Claimed::claim)
                .containsOnly(claimed.get(0).claim());
        assertThat(claimed).extracting(EmbeddingRepository.Claimed::question).allMatch(q -> !q.isEmpty());
        assertThat(List.of(first, second, third))
                .filteredOn(id -> status(id).equals("PROCESSING"))
                .hasSize(2);
        assertThat(claimDue(T0, 10))
                .as("a leased row is not claimed again while its lease runs")
                .hasSize(1);
    }

    @Test
    void completingWritesTheVectorOnlyWhileTheClaimStillHoldsTheRow() {
        UUID id = pair("fenced");
        EmbeddingRepository.Claimed first = claimDue(T0, 1).get(0);
        // the lease runs out and another worker takes the row over
        EmbeddingRepository.Claimed second =
                claimDue(T0.plus(LEASE).plusSeconds(1), 1).get(0);
        assertThat(second.claim()).isNotEqualTo(first.claim());

        boolean[] late = queue.complete(List.of(vectorFor(first, "hash-fenced")), SETTING, T0.plusSeconds(40));
        assertThat(late).containsExactly(false);
        assertThat(status(id)).isEqualTo("PROCESSING");

        boolean[] current = queue.complete(List.of(vectorFor(second, "hash-fenced")), SETTING, T0.plusSeconds(41));
        assertThat(current).containsExactly(true);
        assertThat(status(id)).isEqualTo("COMPLETED");
        assertThat(jdbc.sql("SELECT vector_setting FROM qa_embedding WHERE qa_pair_id = :id")
                        .param("id", id)
                        .query(String.class)
                        .single())
                .isEqualTo(SETTING.key());
    }

    @Test
    void aTakenOverLeaseKeepsTheAttemptOfTheLostCallAndRunsOutAsADeadLetter() {
        UUID id = pair("crashing");
        Instant now = T0;
        // the first claim, then one take-over per lost lease while lost leases stay under the limit
        for (int claims = 0; claims < MAX_ATTEMPTS; claims++) {
            assertThat(claimDue(now, 1)).hasSize(1);
            assertThat(attempts(id))
                    .as("a worker's crash is not the row's fault")
                    .isEqualTo(1);
            now = now.plus(LEASE).plusSeconds(1);
        }
        assertThat(claimDue(now, 1)).as("the last lost lease ends the row").isEmpty();
        assertThat(status(id)).isEqualTo("FAILED");
        assertThat(counts.stats(MAX_ATTEMPTS).deadLetters()).isEqualTo(1);
    }

    @Test
    void aTransientFailureIsClaimedAgainOnlyAfterItsBackoffAndOnlyUnderTheAttemptLimit() {
        UUID id = pair("flaky");
        Instant now = T0;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            EmbeddingRepository.Claimed claimed = claimDue(now, 1).get(0);
            assertThat(claimed.attempts()).isEqualTo(attempt);
            Instant next = now.plusSeconds(10);
            assertThat(queue.fail(List.of(outcome(claimed, ErrorKind.TRANSIENT, next)), now))
                    .isEqualTo(1);
            assertThat(claimDue(next.minusMillis(1), 1)).as("still backing off").isEmpty();
            now = next;
        }
        assertThat(claimDue(now, 1)).as("the attempts are spent").isEmpty();
        assertThat(status(id)).isEqualTo("FAILED");
        assertThat(counts.stats(MAX_ATTEMPTS).deadLetters()).isEqualTo(1);
    }

    @Test
    void aPermanentFailureWaitsForTheRetryEndpointWhichTakesItUnderTheLimit() {
        UUID id = pair("rejected");
        EmbeddingRepository.Claimed claimed = claimDue(T0, 1).get(0);
        queue.fail(List.of(outcome(claimed, ErrorKind.PERMANENT, T0)), T0);

        assertThat(claimDue(T0.plusSeconds(3600), 1))
                .as("the worker never retries it")
                .isEmpty();
        assertThat(counts.stats(MAX_ATTEMPTS).deadLetters()).isEqualTo(1);
        List<EmbeddingRepository.Claimed> retried =
                queue.claimFailed(T0.plusSeconds(1), T0.plusSeconds(31), 10, MAX_ATTEMPTS);
        assertThat(retried).extracting(EmbeddingRepository.Claimed::id).containsExactly(id);
        assertThat(retried.get(0).attempts()).isEqualTo(2);
    }

    @Test
    void releasingHandsTheRowBackWithoutSpendingAnAttempt() {
        UUID id = pair("rate-limited");
        EmbeddingRepository.Claimed claimed = claimDue(T0, 1).get(0);
        Instant later = T0.plusSeconds(20);

        assertThat(queue.release(List.of(outcome(claimed, null, later)), T0)).isEqualTo(1);

        assertThat(status(id)).isEqualTo("PENDING");
        assertThat(attempts(id)).isZero();
        assertThat(claimDue(later.minusMillis(1), 1))
                .as("not before the time it was handed back for")
                .isEmpty();
        assertThat(claimDue(later, 1)).hasSize(1);
        assertThat(queue.release(List.of(outcome(claimed, null, later)), later))
                .as("the old claim no longer holds the row")
                .isZero();
    }

    @Test
    void aNewTextMakesTheRowPendingAgainAndFencesOffTheClaimOfTheOldText() {
        UUID id = pair("edited");
        EmbeddingRepository.Claimed claimed = claimDue(T0, 1).get(0);

        assertThat(queue.markPendingIfChanged(id, "hash-edited", T0))
                .as("the same text")
                .isFalse();
        assertThat(queue.markPendingIfChanged(id, "hash-edited-again", T0.plusSeconds(1)))
                .isTrue();

        assertThat(status(id)).isEqualTo("PENDING");
        assertThat(attempts(id)).isZero();
        assertThat(queue.complete(List.of(vectorFor(claimed, "hash-edited")), SETTING, T0.plusSeconds(2)))
                .containsExactly(false);
    }

    @Test
    void deletingARowTakesItsCountAndLeavesTheDeletionInTheChangeFeed() {
        UUID kept = pair("kept");
        UUID gone = pair("gone");
        claimDue(T0, 1);

        queue.delete(gone, T0.plusSeconds(1));

        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        assertThat(jdbc.sql("SELECT qa_pair_id FROM qa_pair_deletion")
                        .query(UUID.class)
                        .list())
                .containsExactly(gone);
        assertThat(status(kept)).isIn("PENDING", "PROCESSING");
    }

    @Test
    void aRecountSetsCountsChangedBehindTheQueuesBackAndSaysHowFarOffTheyWere() {
        pair("one");
        pair("two");
        jdbc.sql("UPDATE qa_embedding SET status = 'COMPLETED'").update();

        Map<EmbeddingStatus, Long> drift = counts.recount();

        assertThat(drift).isEqualTo(Map.of(EmbeddingStatus.PENDING, 2L, EmbeddingStatus.COMPLETED, -2L));
        assertThat(counts.recount()).as("a second recount finds nothing").isEmpty();
    }
}
