package org.qaembeddings.embedding;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code GET /api/qa-pairs/{id}/embedding}: the summary plus the vector once it is COMPLETED. */
record EmbeddingDetail(
        EmbeddingStatus status,
        String model,
        Integer dimensions,
        int attempts,
        String lastError,
        Instant updatedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) float[] vector) {
}
