package org.qaembeddings.embedding;

/** Published when a row becomes PENDING; after commit it wakes the worker. */
record EmbeddingRequested() {}
