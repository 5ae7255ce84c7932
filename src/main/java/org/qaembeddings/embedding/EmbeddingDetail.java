package org.qaembeddings.embedding;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * {@code GET /api/qa-pairs/{id}/embedding}: the summary plus the vector once it is COMPLETED.
 * {@code setting} made the stored vector (null when there is none, or it recorded none);
 * {@code current} says whether that vector is of the pair's current text and this node's setting.
 */
record EmbeddingDetail(
        EmbeddingStatus status,
        String model,
        Integer dimensions,
        int attempts,
        String lastError,
        Instant updatedAt,
        EmbeddingSetting setting,
        boolean current,
        @JsonInclude(JsonInclude.Include.NON_NULL) float[] vector) {

    /** This detail as seen by a node of {@code current}: a vector of another setting is not current. */
    EmbeddingDetail forSetting(EmbeddingSetting current) {
        boolean ofCurrent = this.current && setting != null && setting.key().equals(current.key());
        return new EmbeddingDetail(
                status, model, dimensions, attempts, lastError, updatedAt, setting, ofCurrent, vector);
    }
}
