package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.FakeOpenAiServer.Reply;
import org.springframework.test.context.TestPropertySource;

/**
 * An outage of the provider is its condition, not the rows': ten minutes of test time in which it
 * answers 500, then drops every connection, then answers too late, over 1,000 pending pairs polled
 * every second. The node pauses on a growing backoff, so the outage costs a few calls a minute;
 * no row is charged an attempt, none becomes a dead letter, and all complete once it is back.
 */
@Tag("single-database")
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.openai.timeout=1s"})
class ProviderOutageTest extends ClockDrivenTest {

    private static final int PAIRS = 1_000;
    private static final Duration PHASE = Duration.ofMinutes(10).dividedBy(3);

    @Test
    void aTenMinuteOutageChargesNoRowAndEveryPairCompletesAfterIt() {
        for (int i = 0; i < PAIRS; i++) {
            insertPair("Outage question " + i + "?", "Answer " + i + ".");
        }
        Instant end = T0.plus(Duration.ofMinutes(10));
        provider(request -> {
            Duration into = Duration.between(T0, clock.instant());
            if (into.compareTo(PHASE) < 0) {
                return Reply.json(500, "{\"error\": {\"message\": \"The server had an error\"}}");
            }
            if (into.compareTo(PHASE.multipliedBy(2)) < 0) {
                return Reply.connectionDropped();
            }
            return OPENAI.vectors(request).after(Duration.ofSeconds(3)); // past the 1 s timeout
        });

        runFor(Duration.ofMinutes(10), Duration.ofSeconds(1));

        int duringOutage = requestTimes.size();
        assertThat(duringOutage)
                .as("calls in the 10-minute outage (a few a minute, not one per row or poll)")
                .isBetween(3, 20);
        assertThat(rowsWithStatus("FAILED")).isZero();
        assertThat(jdbc.sql("SELECT SUM(attempts) FROM qa_embedding")
                        .query(Integer.class)
                        .single())
                .as("no attempt charged for the outage")
                .isZero();
        assertThat(service.getHealthStats().pausedReason()).isNotNull();
        assertThat(clock.instant()).isEqualTo(end);

        provider(OPENAI::vectors);
        for (int minute = 0; minute < 10 && rowsWithStatus("COMPLETED") < PAIRS; minute++) {
            runFor(Duration.ofMinutes(1), Duration.ofSeconds(1));
        }

        assertThat(rowsWithStatus("COMPLETED")).isEqualTo(PAIRS);
        assertThat(rowsWithStatus("FAILED")).as("dead letters").isZero();
        assertThat(jdbc.sql("SELECT MAX(attempts) FROM qa_embedding")
                        .query(Integer.class)
                        .single())
                .as("each row charged only the call that embedded it")
                .isEqualTo(1);
        assertThat(service.getHealthStats().pausedReason()).isNull();
    }
}
