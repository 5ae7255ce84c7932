package org.qaembeddings.search;

import java.io.IOException;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * Lucene's HNSW vectors, allowed the widths of remote models: Lucene's own format stops at 1,024
 * dimensions, OpenAI's models give 1,536 and 3,072. Registered by name (META-INF/services), so
 * that an index written with it can be read again.
 */
public final class HnswFormat extends KnnVectorsFormat {

    static final String NAME = "QaEmbeddingsHnsw";
    static final int MAX_DIMENSIONS = 4096;

    private final KnnVectorsFormat delegate = new Lucene99HnswVectorsFormat();

    public HnswFormat() {
        super(NAME);
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
