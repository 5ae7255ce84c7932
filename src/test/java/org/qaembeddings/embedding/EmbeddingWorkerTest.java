package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.support.TestDatabase;
import org.springframework.test.context.TestPropertySource;

/**
 * The worker driven by hand, one {@code pollOnce()} at a time, on a clock the test moves: no
 * background thread runs here.
 */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.batch-size=50", "embedding.lease=30s"})
class EmbeddingWorkerTest extends ClockDrivenTest {

    ExecutorService threads;

    @BeforeEach
    void setUp() {
        threads = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
    }

    /** A fresh worker for each poll, as if each came from another node. */
    private EmbeddingWorker worker() {
        return newWorker(clock);
    }

    private void updatePair(UUID id, String question, String answer) {
        transactions.executeWithoutResult(tx -> {
            jdbc.sql("UPDATE qa_pair SET question = :q, answer = :a WHERE id = :id")
                    .param("id", id)
                    .param("q", question)
                    .param("a", answer)
                    .update();
            service.requestIfTextChanged(id, question, answer, clock.instant());
        });
    }

    private String status(UUID id) {
        return jdbc.sql("SELECT status FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", id)
                .query(String.class)
                .single();
    }

    private float[] storedVector(UUID id) {
        return reads.findDetail(id).orElseThrow().vector();
    }

    private static String text(String question, String answer) {
        return "Question: " + question + "\nAnswer: " + answer;
    }

    @Test
    void pollOnceEmbedsPendingRowsInOneCall() {
        UUID a = insertPair("A?", "a");
        UUID b = insertPair("B?", "b");

        assertThat(worker().pollOnce()).isEqualTo(2);

        assertThat(OPENAI.requests()).hasSize(1);
        assertThat(status(a)).isEqualTo("COMPLETED");
        assertThat(storedVector(b)).containsExactly(FakeOpenAiServer.vectorFor(text("B?", "b"), DIMENSIONS));
        assertThat(worker().pollOnce()).isZero();
    }

    @Test
    void pollOnceClaimsAtMostBatchSize() {
        for (int i = 0; i < 120; i++) {
            insertPair("Q" + i + "?", "a");
        }

        assertThat(worker().pollOnce()).isEqualTo(50);
        assertThat(worker().pollOnce()).isEqualTo(50);
        assertThat(worker().pollOnce()).isEqualTo(20);
        assertThat(worker().pollOnce()).isZero();
        assertThat(OPENAI.requests()).extracting(r -> r.inputs().size()).containsExactly(50, 50, 20);
    }

    @Test
    void updateDuringInFlightEmbeddingEndsWithLatestText() throws Exception {
        UUID id = insertPair("Version one?", "one");
        CountDownLatch inFlight = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OPENAI.behave(request -> {
            if (request.inputs().contains(text("Version one?", "one"))) {
                inFlight.countDown();
                await(release);
            }
            return OPENAI.vectors(request);
        });
        Future<Integer> first = threads.submit(() -> worker().pollOnce());
        assertThat(inFlight.await(20, TimeUnit.SECONDS)).isTrue();

        updatePair(id, "Version two?", "two");
        release.countDown();
        assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo(1);

        // the stale vector of version one was not written; the row waits for version two
        assertThat(status(id)).isEqualTo("PENDING");
        assertThat(storedVector(id)).isNull();
        assertThat(worker().pollOnce()).isEqualTo(1);
        assertThat(status(id)).isEqualTo("COMPLETED");
        assertThat(storedVector(id))
                .containsExactly(FakeOpenAiServer.vectorFor(text("Version two?", "two"), DIMENSIONS));
    }

    @Test
    void twoWorkersNeverEmbedTheSameRowInOneClaim() throws Exception {
        for (int i = 0; i < 100; i++) {
            insertPair("Shared " + i + "?", "a");
        }
        // each request is held until both workers are calling (or a bound passes, as on H2, whose
        // SKIP LOCKED gives the second claim nothing while the first holds its locks)
        CountDownLatch bothCalling = new CountDownLatch(2);
        OPENAI.behave(request -> {
            bothCalling.countDown();
            awaitAtMost(bothCalling, Duration.ofSeconds(2));
            return OPENAI.vectors(request);
        });

        Future<Integer> one = threads.submit(() -> worker().pollOnce());
        Future<Integer> two = threads.submit(() -> worker().pollOnce());
        int claimedTogether = one.get(30, TimeUnit.SECONDS) + two.get(30, TimeUnit.SECONDS);
        while (worker().pollOnce() > 0) {
            // drain what the first round left
        }

        assertThat(OPENAI.allInputs()).hasSize(100).doesNotHaveDuplicates();
        assertThat(rowsWithStatus("COMPLETED")).isEqualTo(100);
        if (TestDatabase.isPostgres()) {
            // on PostgreSQL the two claims ran side by side and split the rows between them
            assertThat(claimedTogether).isEqualTo(100);
            assertThat(OPENAI.requests()).hasSize(2);
        }
    }

    @Test
    void expiredLeaseIsClaimedAgain() {
        UUID id = insertPair("Crashed worker?", "its lease runs out");
        // a worker claims the row and dies before answering: nothing but the lease is left
        transactions.executeWithoutResult(
                tx -> repository.claimDue(clock.instant(), clock.instant().plusSeconds(30), 50, 3));
        assertThat(status(id)).isEqualTo("PROCESSING");

        clock.advance(Duration.ofSeconds(29));
        assertThat(worker().pollOnce()).as("lease still running").isZero();

        clock.advance(Duration.ofSeconds(1));
        assertThat(worker().pollOnce()).isEqualTo(1);
        assertThat(status(id)).isEqualTo("COMPLETED");
        assertThat(reads.findDetail(id).orElseThrow().attempts())
                .as("the call lost to the crash is not charged")
                .isEqualTo(1);
    }

    @Test
    void aTextWhoseWorkerKeepsDyingBecomesADeadLetterAfterMaxRetriesLostLeases() {
        UUID id = insertPair("Kills its worker?", "every time");
        for (int lost = 0; lost < 3; lost++) {
            // a worker claims it and dies mid-call; the next poll past the lease takes it over
            transactions.executeWithoutResult(
                    tx -> repository.claimDue(clock.instant(), clock.instant().plusSeconds(30), 50, 3));
            clock.advance(Duration.ofSeconds(30));
        }
        assertThat(status(id)).as("three lost leases with max-retries 3").isEqualTo("PROCESSING");
        transactions.executeWithoutResult(
                tx -> repository.claimDue(clock.instant(), clock.instant().plusSeconds(30), 50, 3));

        EmbeddingDetail detail = reads.findDetail(id).orElseThrow();
        assertThat(detail.status()).isEqualTo(EmbeddingStatus.FAILED);
        assertThat(detail.attempts()).as("none of the lost calls was charged").isEqualTo(1);
        assertThat(detail.lastError()).contains("lease expired");
        assertThat(service.getHealthStats().deadLetterCount()).isEqualTo(1);
        assertThat(OPENAI.requests()).isEmpty();
    }

    @Test
    void aRefusedKeyPausesTheNodeAndFailsNoRow() {
        UUID id = insertPair("Bad key?", "a");
        OPENAI.behave(request -> FakeOpenAiServer.Reply.json(
                401, "{\"error\":{\"message\":\"Incorrect API key provided: sk-test-secret-key-0123456789\"}}"));

        assertThat(worker.pollOnce()).isEqualTo(1);

        EmbeddingDetail detail = reads.findDetail(id).orElseThrow();
        assertThat(detail.status())
                .as("a key every request fails with is not the row's fault")
                .isEqualTo(EmbeddingStatus.PENDING);
        assertThat(detail.attempts()).isZero();
        assertThat(detail.lastError()).contains("HTTP 401").doesNotContain("sk-test-secret-key-0123456789");
        String paused = service.getHealthStats().pausedReason();
        assertThat(paused)
                .contains("configuration error")
                .contains("HTTP 401")
                .doesNotContain("sk-test-secret-key-0123456789");
        // no call until the probe is due (2 s with u = 0.5 and the default base delay)
        assertThat(worker.pollOnce()).isZero();
        assertThat(OPENAI.requests()).hasSize(1);

        OPENAI.reset(); // the operator fixed the key
        clock.advance(Duration.ofSeconds(2));
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(status(id)).isEqualTo("COMPLETED");
        assertThat(reads.findDetail(id).orElseThrow().attempts()).isEqualTo(1);
        assertThat(service.getHealthStats().pausedReason()).isNull();
    }

    @Test
    void failedRowBecomesPendingAgainWhenItsTextChanges() {
        UUID id = insertPair("Will fail?", "garbled by the provider");
        // garbled for this text only: the probe beside it is answered, so the failure is the row's
        OPENAI.behave(request -> request.inputs().stream().anyMatch(t -> t.contains("garbled by the provider"))
                ? FakeOpenAiServer.Reply.json(200, "{\"data\": \"garbled\"}")
                : OPENAI.vectors(request));
        worker().pollOnce();
        assertThat(status(id)).isEqualTo("FAILED");
        OPENAI.reset();

        updatePair(id, "Will work?", "b");

        assertThat(status(id)).isEqualTo("PENDING");
        assertThat(reads.findDetail(id).orElseThrow().attempts()).isZero();
        assertThat(worker().pollOnce()).isEqualTo(1);
        assertThat(status(id)).isEqualTo("COMPLETED");
    }

    private static void awaitAtMost(CountDownLatch latch, Duration bound) {
        try {
            latch.await(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
