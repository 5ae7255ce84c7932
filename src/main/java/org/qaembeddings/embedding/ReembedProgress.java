package org.qaembeddings.embedding;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * {@code GET /api/embeddings/reembed}: the latest switch of embedding setting. {@code from} is null
 * when the vectors it replaces recorded no setting. {@code state}: NONE before any switch,
 * ESTIMATING (counting tokens), AWAITING_APPROVAL, RUNNING, DONE, or SUPERSEDED by a later one.
 * {@code done} counts the pairs the background pass has taken (re-embedded, or adopted without a
 * call); a pair it could not finish, and a pair edited meanwhile, gets the new setting through the
 * queue. {@code tokens} and {@code estimatedCostUsd} are the
 * estimate made before any call; {@code spentUsd} what re-embed calls have cost since the start.
 */
public record ReembedProgress(
        EmbeddingSetting from,
        EmbeddingSetting to,
        String state,
        long pairs,
        long done,
        long tokens,
        BigDecimal estimatedCostUsd,
        BigDecimal spentUsd,
        Long etaSeconds,
        Instant startedAt,
        Instant approvedAt,
        Instant finishedAt) {}
