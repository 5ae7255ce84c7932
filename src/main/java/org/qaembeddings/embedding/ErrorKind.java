package org.qaembeddings.embedding;

import org.qaembeddings.provider.ProviderException;

/** Whether a failed row is worth another attempt, as stored in {@code qa_embedding.error_kind}. */
enum ErrorKind {
    /** A rate limit, an outage, a garbled answer: retried with backoff until the attempts run out. */
    TRANSIENT,
    /** The provider refused the row's text, or never can embed it: a dead letter at once. */
    PERMANENT;

    static ErrorKind of(ProviderException.Kind kind) {
        return kind == ProviderException.Kind.PERMANENT ? PERMANENT : TRANSIENT;
    }
}
