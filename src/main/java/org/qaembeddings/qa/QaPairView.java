package org.qaembeddings.qa;

import java.time.Instant;
import java.util.UUID;
import org.qaembeddings.embedding.EmbeddingSummary;

/** A pair as the API shows it. */
record QaPairView(
        UUID id, String question, String answer, Instant createdAt, Instant updatedAt, EmbeddingSummary embedding) {

    static QaPairView of(QaPair pair, EmbeddingSummary embedding) {
        return new QaPairView(pair.id(), pair.question(), pair.answer(), pair.createdAt(), pair.updatedAt(), embedding);
    }
}
