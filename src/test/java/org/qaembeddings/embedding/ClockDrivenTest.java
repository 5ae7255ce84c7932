package org.qaembeddings.embedding;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.provider.EmbeddingProvider;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.support.MutableClock;
import org.qaembeddings.system.Timestamps;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Base of the tests that drive the worker by hand: a worker and a service built on a clock the
 * test moves (starting at {@link #T0}), with the jitter draw fixed at 0.5, polled one
 * {@code pollOnce()} at a time. Subclasses set {@code embedding.worker-enabled=false}, so that no
 * background thread polls beside them.
 */
abstract class ClockDrivenTest extends DatabaseTest {

    static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

    @Autowired
    EmbeddingRepository repository;

    @Autowired
    EmbeddingCounts counts;

    @Autowired
    EmbeddingReads reads;

    @Autowired
    EmbeddingProvider provider;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    EmbeddingProperties properties;

    @Autowired
    CostService costs;

    @Autowired
    ApplicationEventPublisher events;

    @Autowired
    SwitchRepository switches;

    MutableClock clock;
    EmbeddingWorker worker;
    EmbeddingService service;
    /** When (on the test's clock) each provider request arrived, for replies set with {@link #provider}. */
    List<Instant> requestTimes;

    @BeforeEach
    void clockDrivenWorker() {
        clock = new MutableClock(T0);
        worker = newWorker(clock);
        service = new EmbeddingService(repository, counts, reads, worker, properties, events, clock);
        requestTimes = new CopyOnWriteArrayList<>();
    }

    /** A fresh worker with a gate of its own (its own circuit and pause) on {@code clock}. */
    EmbeddingWorker newWorker(Clock clock) {
        return newWorker(clock, properties);
    }

    /** A fresh worker as {@link #newWorker(Clock)}, run with {@code properties}. */
    EmbeddingWorker newWorker(Clock clock, EmbeddingProperties properties) {
        ProviderGate gate = new ProviderGate(provider, costs, clock, new SimpleMeterRegistry(), properties, () -> 0.5);
        return new EmbeddingWorker(repository, gate, provider, transactions, clock, properties, () -> 0.5);
    }

    /** The re-embed pass of {@code worker}, on {@code clock}. */
    Reembedding newReembedding(EmbeddingWorker worker, Clock clock, EmbeddingProperties properties) {
        return new Reembedding(switches, repository, worker, provider, costs, transactions, clock, properties);
    }

    /** A pair saved as the save path saves it, at the test clock's time. */
    UUID insertPair(String question, String answer) {
        UUID id = UUID.randomUUID();
        transactions.executeWithoutResult(tx -> {
            jdbc.sql("INSERT INTO qa_pair (id, question, answer, created_at, updated_at) VALUES (:id, :q, :a, :t, :t)")
                    .param("id", id)
                    .param("q", question)
                    .param("a", answer)
                    .param("t", Timestamps.toDb(clock.instant()))
                    .update();
            service.requestForNewPair(id, question, answer, clock.instant());
        });
        return id;
    }

    /** The stand-in provider answers with {@code replies}, and each request's time is kept in {@link #requestTimes}. */
    void provider(Function<FakeOpenAiServer.Request, FakeOpenAiServer.Reply> replies) {
        OPENAI.behave(request -> {
            requestTimes.add(clock.instant());
            return replies.apply(request);
        });
    }

    /** Polls every {@code step} of test time for {@code span}, as the scheduler would. */
    void runFor(Duration span, Duration step) {
        for (Instant end = clock.instant().plus(span); clock.instant().isBefore(end); clock.advance(step)) {
            worker.pollOnce();
        }
    }
}
