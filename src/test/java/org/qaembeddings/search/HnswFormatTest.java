package org.qaembeddings.search;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.MergeInfo;
import org.junit.jupiter.api.Test;

class HnswFormatTest {

    @Test
    void graphsAreBuiltNarrowWhileIndexingAndAtFullWidthByMerges() {
        HnswFormat format = new HnswFormat(1, null);

        // Lucene opens a segment's vector writer on its first vector, with the default context
        assertThat(format.writing(IOContext.DEFAULT).toString())
                .contains("beamWidth=" + HnswFormat.INDEXING_BEAM_WIDTH);
        assertThat(format.writing(new IOContext(new MergeInfo(1_000, 1 << 20, false, 1)))
                        .toString())
                .contains("beamWidth=" + HnswFormat.BEAM_WIDTH);
        assertThat(HnswFormat.INDEXING_BEAM_WIDTH).isLessThan(HnswFormat.BEAM_WIDTH);
    }
}
