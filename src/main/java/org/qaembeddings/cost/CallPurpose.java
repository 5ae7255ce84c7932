package org.qaembeddings.cost;

/** What a provider call was for; the cost report keeps each kind apart. */
public enum CallPurpose {
    /** Vectors of stored pairs: the worker, batch and retry. */
    DOCUMENT,
    /** Vectors of stored pairs made again because the embedding setting changed. */
    REEMBED,
    /** A search query's vector. */
    QUERY,
    /** The short fixed text that tells a failure of the rows from one of the provider. */
    PROBE
}
