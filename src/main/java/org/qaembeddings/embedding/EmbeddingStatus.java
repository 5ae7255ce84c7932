package org.qaembeddings.embedding;

/** Where a pair's embedding stands. */
public enum EmbeddingStatus {
    /** The current text waits for a vector. */
    PENDING,
    /** A worker holds the row under a lease and is asking the provider. */
    PROCESSING,
    /** The vector matches the current text. */
    COMPLETED,
    /** The last attempt for the current text failed; see attempts and lastError. */
    FAILED
}
