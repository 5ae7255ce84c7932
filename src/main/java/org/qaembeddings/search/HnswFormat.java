package org.qaembeddings.search;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;
import org.apache.lucene.store.IOContext;

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
    /**
     * Candidates weighed when a vector joins the graph of a segment being indexed. Such a graph is
     * small (a refresh's or a buffer's vectors) and searched wide (at least 100 candidates, so most of
     * it), and a merge inserts the vectors of all but its largest segment into that one's graph
     * again, with {@link #BEAM_WIDTH}. A catch-up spent most of its time on these inserts (see
     * docs/benchmark-notes.md).
     */
    static final int INDEXING_BEAM_WIDTH = 20;

    /** Graphs built as documents are indexed. */
    private final KnnVectorsFormat indexing;
    /** Graphs built by merges, and the format that reads every graph. */
    private final KnnVectorsFormat delegate;

    /** For reading (Lucene's service loader). */
    public HnswFormat() {
        this(1, null);
    }

    /** For writing: merges insert into one graph from {@code mergeWorkers} threads of {@code mergeExecutor}. */
    HnswFormat(int mergeWorkers, ExecutorService mergeExecutor) {
        super(NAME);
        this.indexing = new Lucene99HnswVectorsFormat(MAX_CONNECTIONS, INDEXING_BEAM_WIDTH);
        this.delegate = mergeWorkers > 1
                ? new Lucene99HnswVectorsFormat(MAX_CONNECTIONS, BEAM_WIDTH, mergeWorkers, mergeExecutor)
                : new Lucene99HnswVectorsFormat(MAX_CONNECTIONS, BEAM_WIDTH);
    }

    @Override
    public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
        return writing(state.context).fieldsWriter(state);
    }

    /**
     * The format whose writer builds the graph: Lucene opens a segment's vector writer with a
     * merge's context, or while indexing (on the segment's first vector) with the default one.
     */
    KnnVectorsFormat writing(IOContext context) {
        return context.context == IOContext.Context.MERGE ? delegate : indexing;
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
