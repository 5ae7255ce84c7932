package org.qaembeddings.embedding;

import java.time.Duration;

/**
 * The wait before attempt {@code n + 1} after {@code n} failed attempts: exponential with full
 * jitter above a floor, capped.
 * <pre>
 *   ceiling(n) = min(max, base × 2^(n−1))
 *   delay(n)   = base + u × (ceiling(n) − base),   u uniform in [0, 1)
 * </pre>
 * With the defaults (base 2 s, max 5 min) the ceilings are 2 s, 4 s, 8 s, ... 256 s, then 300 s.
 * The floor keeps even the luckiest draw from hitting the provider at once; the jitter spreads
 * the retries of rows that failed together.
 */
record Backoff(Duration base, Duration max) {

    Duration ceiling(int failedAttempts) {
        int doublings = Math.max(0, Math.min(failedAttempts - 1, 40));
        long baseMillis = base.toMillis();
        long ceiling = baseMillis > (Long.MAX_VALUE >> doublings) ? Long.MAX_VALUE : baseMillis << doublings;
        return Duration.ofMillis(Math.min(ceiling, max.toMillis()));
    }

    /** A pure function of the attempt count and the draw {@code u} in [0, 1). */
    Duration delay(int failedAttempts, double u) {
        long floor = base.toMillis();
        long ceiling = ceiling(failedAttempts).toMillis();
        return Duration.ofMillis(floor + (long) (Math.min(Math.max(u, 0), 1) * (ceiling - floor)));
    }
}
