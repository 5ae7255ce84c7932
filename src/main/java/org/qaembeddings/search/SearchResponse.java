package org.qaembeddings.search;

import java.util.List;
import java.util.UUID;
import org.qaembeddings.embedding.EmbeddingStatus;

/**
 * One search's answer. {@code setting} names the embedding setting whose vectors ranked the
 * semantic side (null when none did); {@code degraded} says why the answer is less than was asked
 * for (the query could not be embedded, the index is still being built), null when it is not.
 */
record SearchResponse(String query, String mode, String setting, long tookMs, String degraded, List<Hit> hits) {

    /**
     * A pair found, with its current texts. {@code score} is the mode's: cosine similarity for
     * {@code semantic}, BM25 for {@code keyword}, the reciprocal rank fusion of both for {@code hybrid}.
     */
    record Hit(UUID id, String question, String answer, double score, Ranks ranks, Embedding embedding) {}

    /** Where the pair ranked on each side (1 is first); null when that side did not find it or did not run. */
    record Ranks(Integer semantic, Integer keyword) {}

    /**
     * The pair's embedding: its status, and whether its vector was made from its current text by
     * the current setting.
     */
    record Embedding(EmbeddingStatus status, boolean fresh) {}
}
