package org.qaembeddings.embedding;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.qaembeddings.provider.ProviderException;

/**
 * A circuit breaker (resilience4j) around provider calls, one per node. Retries with backoff
 * space out the calls for one row; the circuit spaces out calls as a whole, since new rows keep
 * arriving: once most recent calls failed for a reason that says the provider is down (timeouts,
 * refused connections, 5xx without a {@code Retry-After}), no rows are claimed; after a wait one
 * probe call goes out, and each failed probe doubles the wait up to its maximum. Rejected inputs,
 * garbled answers, rate limits, configuration errors and successes all show the provider alive
 * (a provider that garbles or refuses every request is paused by the gate's probe instead). Its
 * clock is the application's, so tests drive its waits without sleeping.
 */
final class ProviderCircuit {

    private final CircuitBreaker breaker;

    ProviderCircuit(EmbeddingProperties.Circuit settings, Clock clock) {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(settings.failureRate())
                .slidingWindow(
                        settings.window(), settings.minimumCalls(), CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .permittedNumberOfCallsInHalfOpenState(1)
                .waitIntervalFunctionInOpenState(
                        IntervalFunction.ofExponentialBackoff(settings.openFor(), 2.0, settings.maxOpenFor()))
                .recordException(ProviderCircuit::providerDown)
                .clock(clock)
                .build();
        this.breaker = CircuitBreaker.of("embedding-provider", config);
    }

    private static boolean providerDown(Throwable e) {
        return e instanceof ProviderException p
                && p.retryAfter() == null
                && p.reason() == ProviderException.Reason.UNAVAILABLE;
    }

    /**
     * Whether a call could go out now, without taking the permission; turns an open circuit
     * half-open once its wait is over.
     */
    boolean permitsCalls() {
        if (breaker.tryAcquirePermission()) {
            breaker.releasePermission();
            return true;
        }
        return false;
    }

    /**
     * Takes the permission for one call; the caller then reports its outcome with
     * {@link #succeeded} or {@link #failed}.
     */
    boolean tryAcquire() {
        return breaker.tryAcquirePermission();
    }

    void succeeded(long nanos) {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }

    /** Gives the permission back for a call that was abandoned, saying nothing about the provider. */
    void release() {
        breaker.releasePermission();
    }

    void failed(long nanos, Throwable e) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
    }

    CircuitBreaker.State state() {
        return breaker.getState();
    }
}
