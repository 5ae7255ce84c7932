package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.test.context.TestPropertySource;

/**
 * A dead provider is probed, not hammered: ten minutes of test time, polled every second as the
 * scheduler would, with rows due every second (the node's pause is 1 s), against a provider that
 * answers 503 to everything; the rows are never charged for it.
 */
@Tag("single-database")
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.batch-size=5",
            "embedding.max-retries=100",
            "embedding.retry.base-delay=1s",
            "embedding.retry.max-delay=1s",
            "embedding.circuit.window=4",
            "embedding.circuit.minimum-calls=4",
            "embedding.circuit.open-for=10s",
            "embedding.circuit.max-open-for=80s"
        })
class CircuitBreakerTest extends ClockDrivenTest {

    private static final String UNAVAILABLE =
            "{\"error\": {\"message\": \"The engine is currently overloaded\", \"type\": \"server_error\"}}";

    private void insertPairs(int n) {
        for (int i = 0; i < n; i++) {
            insertPair("Circuit question " + i + "?", "a");
        }
    }

    private void runFor(Duration span) {
        runFor(span, Duration.ofSeconds(1));
    }

    @Test
    void deadProviderIsProbedNotHammered() {
        insertPairs(20);
        provider(request -> FakeOpenAiServer.Reply.json(503, UNAVAILABLE));

        runFor(Duration.ofMinutes(10));

        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < requestTimes.size(); i++) {
            gaps.add(Duration.between(requestTimes.get(i - 1), requestTimes.get(i))
                    .toSeconds());
        }
        // 4 calls open the circuit; then one probe on the first poll past each wait of 10, 20, 40,
        // 80, 80... s: 13 calls in 600 s, where without the circuit every poll sends one (600 calls)
        assertThat(gaps.subList(0, 3)).containsOnly(1L);
        assertThat(gaps.subList(3, 7)).containsExactly(11L, 21L, 41L, 81L);
        assertThat(gaps.subList(7, gaps.size())).containsOnly(81L);
        assertThat(requestTimes).hasSize(13);
        assertThat(service.getHealthStats().pausedReason()).contains("circuit open");
        assertThat(service.getHealthStats().circuitState()).isEqualTo("OPEN");
        assertThat(jdbc.sql("SELECT SUM(attempts) FROM qa_embedding")
                        .query(Integer.class)
                        .single())
                .as("the provider's outage is not the rows' fault: no attempt is charged")
                .isZero();
        assertThat(rowsWithStatus("FAILED")).isZero();

        // the provider heals: the next probe succeeds, the circuit closes, every row completes, no operator
        provider(OPENAI::vectors);
        runFor(Duration.ofSeconds(80));
        assertThat(rowsWithStatus("COMPLETED")).isEqualTo(20);
        assertThat(service.getHealthStats().pausedReason()).isNull();
        assertThat(service.getHealthStats().circuitState()).isEqualTo("CLOSED");
    }

    @Test
    void rejectedInputsDoNotOpenTheCircuit() {
        insertPairs(20);
        // one input the provider refuses, in every batch it is sent in; the others are fine
        provider(request -> request.inputs().stream().anyMatch(t -> t.contains("Circuit question 7?"))
                ? FakeOpenAiServer.Reply.json(400, "{\"error\": {\"message\": \"bad input\"}}")
                : OPENAI.vectors(request));

        runFor(Duration.ofSeconds(20));

        assertThat(service.getHealthStats().pausedReason())
                .as("the circuit stays closed, nothing pauses")
                .isNull();
        assertThat(rowsWithStatus("COMPLETED")).isEqualTo(19);
        assertThat(rowsWithStatus("FAILED")).as("the one bad input, alone").isEqualTo(1);
    }
}
