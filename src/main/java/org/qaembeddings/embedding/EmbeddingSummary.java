package org.qaembeddings.embedding;

import java.time.Instant;

/** The embedding part of a pair's JSON. */
public record EmbeddingSummary(
        EmbeddingStatus status, String model, Integer dimensions, int attempts, String lastError, Instant updatedAt) {}
