package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5));

    @Test
    void ceilingDoublesPerFailedAttemptUpToTheCap() {
        assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.ceiling(2)).isEqualTo(Duration.ofSeconds(4));
        assertThat(backoff.ceiling(3)).isEqualTo(Duration.ofSeconds(8));
        assertThat(backoff.ceiling(8)).isEqualTo(Duration.ofSeconds(256));
        assertThat(backoff.ceiling(9)).isEqualTo(Duration.ofMinutes(5));
        assertThat(backoff.ceiling(1_000)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void delayIsBetweenTheBaseAndTheCeiling() {
        for (int attempts = 1; attempts <= 12; attempts++) {
            assertThat(backoff.delay(attempts, 0.0)).isEqualTo(Duration.ofSeconds(2));
            assertThat(backoff.delay(attempts, 0.999_999))
                    .isLessThanOrEqualTo(backoff.ceiling(attempts))
                    .isGreaterThan(backoff.ceiling(attempts).minusMillis(2));
        }
        assertThat(backoff.delay(3, 0.5)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void delayIsAPureFunctionOfAttemptsAndDraw() {
        // ceiling(4) = 16 s: 2 s + u × 14 s, whatever else a call has seen before
        Backoff same = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5));
        backoff.delay(9, 0.9);
        assertThat(backoff.delay(4, 0.25)).isEqualTo(Duration.ofMillis(5_500)).isEqualTo(same.delay(4, 0.25));
        assertThat(backoff.delay(4, 0.75)).isEqualTo(Duration.ofMillis(12_500));
    }

    @Test
    void drawsOutsideTheUnitIntervalAreClamped() {
        assertThat(backoff.delay(5, -3)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.delay(5, 7)).isEqualTo(backoff.ceiling(5));
    }

    @Test
    void zeroAttemptsWaitTheBase() {
        assertThat(backoff.delay(0, 1)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void hugeBaseDoesNotOverflow() {
        Backoff big = new Backoff(Duration.ofDays(365 * 1000L), Duration.ofDays(365 * 2000L));
        assertThat(big.ceiling(64)).isEqualTo(Duration.ofDays(365 * 2000L));
    }
}
