package org.qaembeddings.embedding;

import java.time.Instant;

/**
 * The pipeline at a glance.
 *
 * @param pendingCount pairs waiting for a vector of their current text: PENDING plus PROCESSING
 * @param processingCount of those, the ones a worker holds right now
 * @param failedCount FAILED rows, retryable or not
 * @param deadLetterCount FAILED rows that will not be retried automatically (permanent error, or out of attempts)
 * @param completedCount rows whose vector matches the current text
 * @param successRate completed / (completed + failed); null when both are 0 (nothing finished yet)
 * @param oldestPending when the longest-waiting PENDING or PROCESSING row started waiting; null when none
 * @param oldestPendingAgeSeconds how long ago that was, in whole seconds; null when none
 * @param pausedReason why provider calls are paused (budget, rate limit); null when they are not
 * @param circuitState this node's provider circuit: CLOSED (calls go out), OPEN (none until a
 *     probe), HALF_OPEN (a probe is out)
 */
public record EmbeddingHealthStats(
        long pendingCount,
        long processingCount,
        long failedCount,
        long deadLetterCount,
        long completedCount,
        Double successRate,
        Instant oldestPending,
        Long oldestPendingAgeSeconds,
        String pausedReason,
        String circuitState) {}
