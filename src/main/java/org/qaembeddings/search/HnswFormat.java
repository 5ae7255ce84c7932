package org.qaembeddings.search;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * Lucene's HNSW vectors, allowed the widths of remote models: Lucene's own format stops at 1,024
 * dimensions, OpenAI's models give 1,536 and 3,072. Registered by name (META-INF/services), so
 * that an index written with it can be read again; how a graph is built is not part of the files,
 * so the instance Lucene makes for reading needs none of the writer's settings.
 */
public final class HnswFormat extends KnnVectorsFormat {

    static final String NAME = "QaEmbeddingsHnsw";
    static final int MAX_DIMENSIONS = 4096;
    /** Lucene's default: neighbours kept per node. */
    private static final int MAX_CONNECTIONS = 16;
    /**
     * Candidates weighed when a vector joins the graph. Half Lucene's 100 builds and merges about
     * 2.5 times as fast, which is what a catch-up or a rebuild spends its time on, for recall@10
     * 0.999 instead of 1.000 (100,000 clustered vectors, one segment; see docs/benchmark-notes.md).
     */
    static final int BEAM_WIDTH = 50;

    private final KnnVectorsFormat delegate;

    /** For reading (Lucene's service loader). */
    public HnswFormat() {
        this(1, null);
    }

    /** For writing: merges insert into one graph from {@code mergeWorkers} threads of {@code mergeExecutor}. */
    HnswFormat(int mergeWorkers, ExecutorService mergeExecutor) {
        super(NAME);
        this.delegate = mergeWorkers > 1
                ? new Lucene99HnswVectorsFormat(MAX_CONNECTIONS, BEAM_WIDTH, mergeWorkers, mergeExecutor)
                : new Lucene99HnswVectorsFormat(MAX_CONNECTIONS, BEAM_WIDTH);
    }

    @Override
    public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
        return delegate.fieldsWriter(state);
    }

    @Override
    public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
        return delegate.fieldsReader(state);
    }

    @Override
    public int getMaxDimensions(String fieldName) {
        return MAX_DIMENSIONS;
    }
}
