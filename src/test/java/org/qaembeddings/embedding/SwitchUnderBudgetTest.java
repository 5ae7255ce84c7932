package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * A change of setting under a spent budget: the switch is priced (that costs nothing) but sends
 * nothing until the budget allows again, then resumes by itself.
 */
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.cost.rates.fake-embedding=0.02",
            "embedding.cost.budget.daily-usd=0.0000001"
        })
class SwitchUnderBudgetTest extends ClockDrivenTest {

    @Test
    void aSwitchUnderASpentBudgetWaitsThenResumes() {
        EmbeddingProperties p = properties;
        EmbeddingProperties oldTemplate = new EmbeddingProperties(
                p.batchSize(),
                "Old: {question} / {answer}",
                p.pollInterval(),
                p.lease(),
                p.workerEnabled(),
                p.maxRetries(),
                p.retry(),
                p.workerThreads(),
                p.circuit(),
                p.reembed(),
                p.recountDelay());
        List<UUID> ids = List.of(insertPair("Budget 0?", "a"), insertPair("Budget 1?", "b"));
        assertThat(newWorker(clock, oldTemplate).pollOnce()).isEqualTo(2);
        assertThat(costs.budgetExhausted(clock.instant()))
                .as("the old setting's call spent the day's budget")
                .isPresent();
        OPENAI.reset();
        Reembedding pass = newReembedding(worker, clock, properties);
        pass.begin(clock.instant());

        assertThat(pass.pollOnce())
                .as("the estimate makes no call, so the budget does not stop it")
                .isEqualTo(2);
        assertThat(pass.progress().state()).isEqualTo("RUNNING");
        assertThat(pass.pollOnce()).as("no call under a spent budget").isZero();
        assertThat(OPENAI.requests()).isEmpty();
        ids.forEach(
                id -> assertThat(reads.findDetail(id).orElseThrow().status()).isEqualTo(EmbeddingStatus.COMPLETED));

        clock.advance(Duration.ofDays(1));

        assertThat(pass.pollOnce()).isEqualTo(2);
        assertThat(OPENAI.allInputs())
                .containsExactlyInAnyOrder("Question: Budget 0?\nAnswer: a", "Question: Budget 1?\nAnswer: b");
        assertThat(pass.pollOnce()).isZero();
        assertThat(pass.progress().state()).isEqualTo("DONE");
    }
}
