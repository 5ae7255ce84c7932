package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qaembeddings.provider.ProviderException;
import org.qaembeddings.support.MutableClock;

/** The circuit around provider calls on its own, on a clock the test moves: no context, no provider. */
class ProviderCircuitTest {

    private static final Duration OPEN_FOR = Duration.ofSeconds(5);
    private static final long NANOS = 1_000_000;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private final ProviderCircuit circuit =
            new ProviderCircuit(new EmbeddingProperties.Circuit(50, 4, 2, OPEN_FOR, Duration.ofSeconds(20)), clock);

    private static ProviderException down() {
        return ProviderException.unavailable("connection refused", null);
    }

    private void call(ProviderException outcome) {
        assertThat(circuit.tryAcquire()).as("a call may go out").isTrue();
        if (outcome == null) {
            circuit.succeeded(NANOS);
        } else {
            circuit.failed(NANOS, outcome);
        }
    }

    @Test
    void aProviderThatIsDownOpensTheCircuitAndOneProbeGoesOutAfterTheWait() {
        call(down());
        assertThat(circuit.state()).as("under the minimum number of calls").isEqualTo(CircuitBreaker.State.CLOSED);
        call(down());
        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(circuit.permitsCalls()).isFalse();

        clock.advance(OPEN_FOR);
        assertThat(circuit.permitsCalls())
                .as("the wait ends after, not at, its length")
                .isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(circuit.permitsCalls())
                .as("asking does not take the probe's place")
                .isTrue();
        assertThat(circuit.tryAcquire()).isTrue();
        assertThat(circuit.tryAcquire()).as("one probe at a time").isFalse();
        circuit.succeeded(NANOS);

        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(circuit.permitsCalls()).isTrue();
    }

    @Test
    void eachFailedProbeDoublesTheWaitUpToItsMaximum() {
        call(down());
        call(down());
        List<Duration> waits = new ArrayList<>();
        for (int probe = 0; probe < 5; probe++) {
            Duration waited = Duration.ZERO;
            while (!circuit.permitsCalls()) {
                clock.advance(Duration.ofMillis(500));
                waited = waited.plusMillis(500);
            }
            // the wait ends just after its length: the first half second past it
            waits.add(waited.minusMillis(500));
            call(down());
        }
        assertThat(waits)
                .containsExactly(
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(20),
                        Duration.ofSeconds(20),
                        Duration.ofSeconds(20));
    }

    @Test
    void answersThatShowTheProviderAliveNeverOpenIt() {
        List<ProviderException> alive = List.of(
                ProviderException.inputRejected("input too long"),
                ProviderException.rateLimited("slow down", Duration.ofSeconds(1)),
                ProviderException.rateLimited("slow down", null),
                ProviderException.badAnswer("not JSON"),
                ProviderException.configuration("invalid key"),
                ProviderException.unavailable("busy, come back later", Duration.ofSeconds(2)));
        for (int round = 0; round < 3; round++) {
            alive.forEach(this::call);
        }

        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void anAbandonedCallGivesItsPermissionBackAndCountsForNothing() {
        call(down());
        call(down());
        clock.advance(OPEN_FOR.plusMillis(1));
        assertThat(circuit.tryAcquire()).isTrue();

        circuit.release();

        assertThat(circuit.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(circuit.tryAcquire()).as("the probe may go out again").isTrue();
    }
}
