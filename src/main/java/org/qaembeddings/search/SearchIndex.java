package org.qaembeddings.search;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.PostingsFormat;
import org.apache.lucene.codecs.bloom.BloomFilteringPostingsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene912.Lucene912PostingsFormat;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.FilterMergePolicy;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.Lock;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.qaembeddings.embedding.ChangeFeed;
import org.qaembeddings.system.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's Lucene index of the pairs: BM25 over question and answer, and an HNSW graph of the
 * vectors, one document per pair. It holds only what ranking needs; hits are read back from the
 * database. Written by one follower thread, searched by any number of request threads through
 * near-real-time readers. Each durable commit carries the change position it reflects.
 */
final class SearchIndex implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(SearchIndex.class);

    static final String ID = "id";
    static final String QUESTION = "question";
    static final String ANSWER = "answer";
    /** On a pair's text document: the key of each setting whose vector of the pair is of its current text. */
    static final String FRESH = "fresh";
    /**
     * On a pair's vector document (a document of its own, so that a text change leaves the graph
     * alone): the pair's id.
     */
    static final String VECTOR_OF = "vectorOf";
    /** On a vector document: the pair's id and the vector's setting, one document each (its own, and the one kept). */
    private static final String VECTOR_SLOT = "vectorSlot";

    /**
     * On a vector document: the pair's id and the vector's key ({@link #vectorKey}), as a term. A
     * change asks whether its vector is indexed by looking its exact term up, without reading a
     * stored document (a block of them decompressed for each).
     */
    private static final String VECTOR_KEY = "vectorKey";

    /** Vectors are in fields named {@code vector.<dimensions>.<setting>} ({@link #vectorField}). */
    private static final String VECTOR_FIELD_PREFIX = "vector.";
    /** The setting part of the field of vectors from before settings were recorded. */
    private static final String UNRECORDED = "unrecorded";

    /**
     * On every document: the pair's id, 16 bytes, as a doc value. Hits are turned into pairs by it:
     * a stored field would decompress a block of documents for each hit.
     */
    private static final String PAIR = "pair";

    /**
     * The fields a pair's documents are found by, one term per pair and document: each segment
     * keeps a bloom filter over their terms, so a lookup (a catch-up makes one per changed pair, and
     * the deletes it buffers make one each, in every segment) skips the segments without the term
     * instead of reading a block of their term dictionary.
     */
    private static final Set<String> KEY_FIELDS = Set.of(ID, VECTOR_OF, VECTOR_SLOT, VECTOR_KEY);

    private static final String KIND = "kind";
    private static final String PAIR_KIND = "pair";
    /** A question says what a pair is about more than its answer does. */
    private static final float QUESTION_BOOST = 2f;
    /** Bumped when the documents change shape: an index of another shape is rebuilt. */
    private static final String LAYOUT = "7";

    private static final double RAM_BUFFER_MB = 48;
    /**
     * The fewest candidates the vector graph is searched for (HNSW's ef), however few hits are
     * asked for. A bigger graph needs more for the same recall: on clustered vectors, recall@10 at
     * 100 candidates was 0.99 at 200,000 vectors and 0.84 at a million, where 400 gave 0.96
     * (benchmark 7). So one more candidate per {@value #VECTORS_PER_CANDIDATE} vectors, up to
     * {@value #MAX_KNN_CANDIDATES}.
     */
    static final int KNN_CANDIDATES = 100;

    static final int VECTORS_PER_CANDIDATE = 2_500;
    static final int MAX_KNN_CANDIDATES = 1_000;
    private static final String POSITION_KEY = "position";
    private static final String LAYOUT_KEY = "layout";
    private static final String COMMITTED_AT_KEY = "committedAt";
    private static final String COMPACTED_KEY = "compacted";
    /**
     * Pairs per segment when a rebuilt index is merged down. Each segment is a graph searched on its
     * own, so fewer is faster (15 segments of 200,000 pairs took 7 times as long as one); a merge
     * holds its graph on the heap, about 300 bytes a pair, so a segment stays within {@code -Xmx512m}.
     */
    static final int COMPACTED_SEGMENT_PAIRS = 250_000;
    /** Merges as they come stop at segments of about this size (250,000 pairs of 384 dimensions). */
    private static final double MAX_MERGED_SEGMENT_MB = 512;

    private static final double SEGMENTS_PER_TIER = 4;
    private static final double FLOOR_SEGMENT_MB = 16;
    /** How long closing waits for running merges to stop. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(3);

    /** A document's rank on one side, and the score it had there. */
    record Scored(UUID id, float score) {}

    /** Changes applied since the last refresh from which a refresh first writes the buffers out in parallel. */
    private static final int PARALLEL_FLUSH_CHANGES = 1_000;

    /** Threads that apply a page of changes at once (IndexWriter takes documents from many threads). */
    private static final int APPLY_THREADS =
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final Directory directory;
    private final Analyzer analyzer = new EnglishAnalyzer();
    private final ExecutorService appliers =
            Executors.newFixedThreadPool(APPLY_THREADS, DaemonThreads.named("search-index-apply"));
    /**
     * Threads that search segments beside the request's own (Lucene runs a query's per-segment
     * tasks on the calling thread too, so a busy pool slows no search down): at a million pairs a
     * vector search goes through four graphs.
     */
    private final ExecutorService segmentSearchers =
            Executors.newFixedThreadPool(APPLY_THREADS, DaemonThreads.named("search-index-segments"));
    /** Threads that insert into one graph while a merge builds it. */
    private final ExecutorService mergers;

    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final ChangeFeed.Position committedPosition;
    private final String rebuildReason;
    /** Pairs whose vector document changed since the last refresh: for them the searched index is out of date. */
    private final Set<String> touched = ConcurrentHashMap.newKeySet();

    private final AtomicLong vectorsInserted = new AtomicLong();
    /** Changes applied since the last refresh (by the follower thread, which calls both). */
    private int unrefreshed;
    /** From a rebuild to its first catch-up: nearly every change is a pair not indexed yet, so none is looked up. */
    private volatile boolean filling;
    /** False from a rebuild until its segments are merged down; kept in the commit, so a restart finishes the job. */
    private volatile boolean compacted;

    private Thread compaction;

    private SearchIndex(
            Directory directory,
            IndexWriter writer,
            ExecutorService mergers,
            ChangeFeed.Position committed,
            String rebuildReason,
            boolean compacted)
            throws IOException {
        this.directory = directory;
        this.writer = writer;
        this.mergers = mergers;
        this.searchers = new SearcherManager(writer, new SearcherFactory() {
            @Override
            public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
                return new IndexSearcher(reader, segmentSearchers);
            }
        });
        this.committedPosition = committed;
        this.rebuildReason = rebuildReason;
        this.compacted = compacted;
        this.filling = rebuildReason != null;
    }

    /**
     * Opens the index in {@code dir}, or starts it anew (from change position 0) when it is
     * missing, unreadable, of another layout, or committed before {@code oldestUsable} (the feed no
     * longer holds the deletions since). Another process holding the directory is an error.
     */
    static SearchIndex open(Path dir, Instant oldestUsable) {
        try {
            Files.createDirectories(dir);
            Directory directory = FSDirectory.open(dir);
            try (Lock probe = directory.obtainLock(IndexWriter.WRITE_LOCK_NAME)) {
                probe.ensureValid();
            } catch (LockObtainFailedException e) {
                directory.close();
                throw inUse(dir, e);
            }
            String reason = null;
            ChangeFeed.Position position = ChangeFeed.Position.START;
            boolean compacted = false;
            if (!DirectoryReader.indexExists(directory)) {
                reason = "no index yet";
            } else {
                try {
                    Map<String, String> data =
                            SegmentInfos.readLatestCommit(directory).getUserData();
                    if (!LAYOUT.equals(data.get(LAYOUT_KEY)) || data.get(POSITION_KEY) == null) {
                        reason = "the index was made by another version";
                    } else if (Instant.parse(data.getOrDefault(COMMITTED_AT_KEY, Instant.EPOCH.toString()))
                            .isBefore(oldestUsable)) {
                        reason = "the index is older than the change feed's deletions";
                    } else {
                        position = ChangeFeed.Position.decode(data.get(POSITION_KEY));
                        compacted = Boolean.parseBoolean(data.get(COMPACTED_KEY));
                    }
                } catch (IOException | RuntimeException e) {
                    reason = "the index could not be read (" + e.getClass().getSimpleName() + ")";
                }
            }
            if (reason != null) {
                wipe(dir);
            }
            ExecutorService mergers =
                    Executors.newFixedThreadPool(APPLY_THREADS, DaemonThreads.named("search-index-merge"));
            IndexWriter writer;
            try {
                writer = new IndexWriter(directory, config(reason == null, mergers));
            } catch (LockObtainFailedException e) {
                mergers.shutdown();
                directory.close();
                throw inUse(dir, e);
            } catch (IOException | RuntimeException e) {
                if (reason != null) {
                    mergers.shutdown();
                    directory.close();
                    throw e;
                }
                // readable commit data, unreadable segments: start again
                reason = "the index could not be opened (" + e.getClass().getSimpleName() + ")";
                position = ChangeFeed.Position.START;
                compacted = false;
                wipe(dir);
                writer = new IndexWriter(directory, config(false, mergers));
            }
            if (reason != null) {
                log.info("search index in {} is rebuilt from the database: {}", dir.toAbsolutePath(), reason);
            }
            return new SearchIndex(directory, writer, mergers, position, reason, compacted);
        } catch (IOException e) {
            throw new UncheckedIOException("search index in " + dir.toAbsolutePath() + " cannot be opened", e);
        }
    }

    private static IllegalStateException inUse(Path dir, LockObtainFailedException e) {
        return new IllegalStateException(
                "search.index-dir " + dir.toAbsolutePath()
                        + " is in use by another process; give each node a directory of its own",
                e);
    }

    private static IndexWriterConfig config(boolean append, ExecutorService mergers) {
        KnnVectorsFormat vectors = new HnswFormat(APPLY_THREADS, mergers);
        PostingsFormat keys = new BloomFilteringPostingsFormat(new Lucene912PostingsFormat());
        Codec codec = new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return vectors;
            }

            @Override
            public PostingsFormat getPostingsFormatForField(String field) {
                return KEY_FIELDS.contains(field) ? keys : super.getPostingsFormatForField(field);
            }
        };
        TieredMergePolicy merges = new TieredMergePolicy();
        merges.setMaxMergedSegmentMB(MAX_MERGED_SEGMENT_MB);
        // fewer small segments than Lucene's 10 a tier: a refresh writes one, and each is searched on its own
        merges.setSegmentsPerTier(SEGMENTS_PER_TIER);
        // and the many small segments a catch-up's refreshes write count as one tier, not several
        merges.setFloorSegmentMB(FLOOR_SEGMENT_MB);
        // a larger buffer than Lucene's 16 MB: fewer, larger segments while a rebuild reads a million vectors
        return new IndexWriterConfig(new EnglishAnalyzer())
                .setCodec(codec)
                .setRAMBufferSizeMB(RAM_BUFFER_MB)
                .setMergePolicy(new HeldMerges(merges))
                // a refresh never waits for a merge (Lucene's default waits up to 500 ms): freshness
                // is what a refresh is for, and merges run in the background anyway
                .setMaxFullFlushMergeWaitMillis(0)
                .setOpenMode(append ? IndexWriterConfig.OpenMode.APPEND : IndexWriterConfig.OpenMode.CREATE);
    }

    /**
     * Lucene's merges as they come, held back from opening until the first catch-up: every merge
     * builds its graph again. Merging the segments of a rebuild as they appear and then merging them
     * down once more inserted each vector about four times instead of twice; merging the segments
     * a catch-up's refreshes write, while it runs, took the cores it needs for its own inserts. The
     * merge down is a forced merge, which is never held.
     */
    private static final class HeldMerges extends FilterMergePolicy {
        private volatile boolean held = true;

        HeldMerges(MergePolicy merges) {
            super(merges);
        }

        void release() {
            held = false;
        }

        @Override
        public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
                throws IOException {
            return held ? null : super.findMerges(trigger, infos, context);
        }

        // the wrapped policy's own merges on a refresh or commit call its findMerges, not ours
        @Override
        public MergeSpecification findFullFlushMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
                throws IOException {
            return held ? null : super.findFullFlushMerges(trigger, infos, context);
        }
    }

    /** The change position of the last durable commit (0 for a new index). */
    ChangeFeed.Position committedPosition() {
        return committedPosition;
    }

    /** Why the index started empty, or null when an earlier one was opened. */
    String rebuildReason() {
        return rebuildReason;
    }

    /**
     * Applies changes: a later change of a pair replaces the earlier. Only each pair's last change
     * is applied, so the pairs are independent, and they are spread over the cores: inserting a
     * vector into the graph is what a rebuild or a catch-up spends its time on.
     */
    void apply(List<ChangeFeed.Change> changes) throws IOException {
        unrefreshed += changes.size();
        Map<UUID, ChangeFeed.Change> last = new LinkedHashMap<>();
        for (ChangeFeed.Change change : changes) {
            last.remove(change.id());
            last.put(change.id(), change);
        }
        List<ChangeFeed.Change> distinct = new ArrayList<>(last.values());
        int threads = Math.min(APPLY_THREADS, Math.max(1, distinct.size() / 64));
        if (threads <= 1) {
            apply(distinct, 0, distinct.size());
            return;
        }
        List<Future<?>> parts = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            int from = t * distinct.size() / threads;
            int to = (t + 1) * distinct.size() / threads;
            parts.add(appliers.submit(() -> {
                apply(distinct, from, to);
                return null;
            }));
        }
        await(parts, "applying changes");
    }

    private static void await(List<Future<?>> tasks, String what) throws IOException {
        try {
            for (Future<?> task : tasks) {
                task.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(what + " failed", e.getCause());
        }
    }

    private void apply(List<ChangeFeed.Change> changes, int from, int to) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            IndexReader reader = searcher.getIndexReader();
            Set<String> settings = vectorSettings(reader);
            for (int i = from; i < to; i++) {
                ChangeFeed.Change change = changes.get(i);
                String id = change.id().toString();
                Term text = new Term(ID, id);
                Term vectors = new Term(VECTOR_OF, id);
                if (change.deleted()) {
                    writer.deleteDocuments(text, vectors);
                    touched.add(id);
                    continue;
                }
                writer.updateDocument(text, textDocument(change));
                // changed since the searcher was opened: what it shows of the pair may be gone already
                boolean unseen = touched.contains(id);
                Set<String> kept = new HashSet<>();
                for (ChangeFeed.Slot slot : change.vectors()) {
                    String key = vectorKey(slot);
                    if (key == null) {
                        continue;
                    }
                    // as the key spells it: a vector of no known setting is "null"
                    String setting = String.valueOf(slot.setting());
                    kept.add(setting);
                    Term slotTerm = new Term(VECTOR_SLOT, id + "/" + setting);
                    if (filling || unseen || !live(reader, VECTOR_KEY, id + "/" + key)) {
                        writer.updateDocument(slotTerm, vectorDocument(change.id(), slot, key));
                        touched.add(id);
                        vectorsInserted.incrementAndGet();
                    } // else the graph holds this vector already: an edited text, a status, a freshness changed
                }
                // vectors the pair no longer has (a setting's kept vector dropped, a vector gone)
                if (unseen) { // the searched index cannot say which: all but the kept ones
                    BooleanQuery.Builder others =
                            new BooleanQuery.Builder().add(new TermQuery(vectors), BooleanClause.Occur.FILTER);
                    for (String setting : kept) {
                        others.add(
                                new TermQuery(new Term(VECTOR_SLOT, id + "/" + setting)), BooleanClause.Occur.MUST_NOT);
                    }
                    writer.deleteDocuments(others.build());
                    touched.add(id);
                }
                for (String setting : unseen ? Set.<String>of() : settings) {
                    String slot = id + "/" + setting;
                    if (!kept.contains(setting) && live(reader, VECTOR_SLOT, slot)) {
                        writer.deleteDocuments(new Term(VECTOR_SLOT, slot));
                        touched.add(id);
                    }
                }
            }
        } finally {
            searchers.release(searcher);
        }
    }

    /**
     * Whether a live document of the searched index holds {@code term} in {@code field}, one of
     * {@link #KEY_FIELDS}: most segments answer from their bloom filter.
     */
    private static boolean live(IndexReader reader, String field, String term) throws IOException {
        BytesRef bytes = new BytesRef(term);
        PostingsEnum docs = null;
        for (LeafReaderContext leaf : reader.leaves()) {
            Terms terms = leaf.reader().terms(field);
            if (terms == null) {
                continue;
            }
            TermsEnum each = terms.iterator();
            if (!each.seekExact(bytes)) {
                continue;
            }
            Bits live = leaf.reader().getLiveDocs();
            docs = each.postings(docs, PostingsEnum.NONE);
            for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                if (live == null || live.get(doc)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The settings of the vectors in the searched index, as a slot spells them ("null": of no known setting). */
    private static Set<String> vectorSettings(IndexReader reader) {
        Set<String> settings = new HashSet<>();
        for (FieldInfo field : FieldInfos.getMergedFieldInfos(reader)) {
            if (field.getVectorDimension() > 0 && field.name.startsWith(VECTOR_FIELD_PREFIX)) {
                settings.add(settingOf(field.name));
            }
        }
        return settings;
    }

    private static BytesRef pairValue(UUID id) {
        return new BytesRef(ByteBuffer.allocate(16)
                .putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits())
                .array());
    }

    private static UUID pairOf(BytesRef value) {
        ByteBuffer bytes = ByteBuffer.wrap(value.bytes, value.offset, value.length);
        return new UUID(bytes.getLong(), bytes.getLong());
    }

    /** The pair's texts, for BM25, and the settings whose vectors of it are current. */
    private static Document textDocument(ChangeFeed.Change change) {
        Document doc = new Document();
        doc.add(new StringField(ID, change.id().toString(), Field.Store.NO));
        doc.add(new BinaryDocValuesField(PAIR, pairValue(change.id())));
        doc.add(new StringField(KIND, PAIR_KIND, Field.Store.NO));
        doc.add(new TextField(QUESTION, change.question(), Field.Store.NO));
        doc.add(new TextField(ANSWER, change.answer(), Field.Store.NO));
        for (ChangeFeed.Slot slot : change.vectors()) {
            if (slot.current() && slot.setting() != null) {
                doc.add(new StringField(FRESH, slot.setting(), Field.Store.NO));
            }
        }
        return doc;
    }

    private static Document vectorDocument(UUID id, ChangeFeed.Slot slot, String key) {
        Document doc = new Document();
        doc.add(new StringField(VECTOR_OF, id.toString(), Field.Store.NO));
        doc.add(new BinaryDocValuesField(PAIR, pairValue(id)));
        doc.add(new StringField(VECTOR_SLOT, id + "/" + slot.setting(), Field.Store.NO));
        doc.add(new StringField(VECTOR_KEY, id + "/" + key, Field.Store.NO));
        doc.add(new KnnFloatVectorField(
                vectorField(slot.setting(), slot.vector().length),
                unit(slot.vector()),
                VectorSimilarityFunction.DOT_PRODUCT));
        return doc;
    }

    /**
     * What identifies a vector: its setting and a 64-bit hash of its values (null when it cannot be
     * indexed). A change whose vector has the key already indexed leaves the graph alone.
     */
    static String vectorKey(ChangeFeed.Slot slot) {
        float[] vector = slot.vector();
        if (vector == null || vector.length > HnswFormat.MAX_DIMENSIONS || !hasLength(vector)) {
            return null;
        }
        long hash = 0xcbf29ce484222325L; // FNV-1a over the values' bits, then MurmurHash3's finaliser
        for (float v : vector) {
            hash = (hash ^ Float.floatToIntBits(v)) * 0x100000001b3L;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        return slot.setting() + "/" + vector.length + "/" + Long.toHexString(hash);
    }

    /** A zero vector has no direction: cosine cannot rank it. */
    private static boolean hasLength(float[] vector) {
        for (float v : vector) {
            if (v != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Vectors of each embedding setting in a field of their own: Lucene fixes a field's width, and a
     * search in one field never meets another setting's vectors, with no filter to evaluate (a
     * filter on the model cost as much as the graph search itself at 200,000 pairs). Vectors from
     * before settings were recorded (no key) are kept apart until the re-embed pass adopts them.
     */
    private static String vectorField(String setting, int dimensions) {
        return VECTOR_FIELD_PREFIX + dimensions + "." + (setting == null ? UNRECORDED : setting);
    }

    /** The setting of a {@link #vectorField}'s vectors, as a slot spells it ("null": of no known setting). */
    private static String settingOf(String vectorField) {
        String setting = vectorField.substring(vectorField.indexOf('.', VECTOR_FIELD_PREFIX.length()) + 1);
        return setting.equals(UNRECORDED) ? "null" : setting;
    }

    /**
     * The vector scaled to length 1: the dot product of two such is their cosine, and costs a third
     * of what Lucene's cosine does (which works out both lengths on every comparison).
     */
    private static float[] unit(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += (double) v * v;
        }
        float scale = (float) (1 / Math.sqrt(sum));
        float[] out = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            out[i] = vector[i] * scale;
        }
        return out;
    }

    /** Changes applied that no refresh has made visible yet. */
    int unrefreshed() {
        return unrefreshed;
    }

    /** Makes what was applied visible to searches. */
    void refresh() throws IOException {
        if (unrefreshed >= PARALLEL_FLUSH_CHANGES) {
            flushInParallel();
        }
        unrefreshed = 0;
        searchers.maybeRefreshBlocking();
        touched.clear(); // called after apply has returned, never beside it
    }

    /**
     * Writes the buffered documents out from the apply threads, a buffer each: a refresh would
     * write them one after another on its own thread (a catch-up's page of a thousand changes
     * took it half a second), and applying waits for the refresh.
     */
    private void flushInParallel() throws IOException {
        List<Future<?>> flushes = new ArrayList<>(APPLY_THREADS);
        for (int t = 0; t < APPLY_THREADS; t++) {
            flushes.add(appliers.submit(() -> {
                while (writer.flushNextBuffer()) {
                    // until no buffer is left to take
                }
                return null;
            }));
        }
        await(flushes, "flushing");
    }

    /** Writes what was applied durably, with the change position it reflects. */
    void commit(ChangeFeed.Position position, Instant now) throws IOException {
        writer.setLiveCommitData(Map.of(
                        POSITION_KEY,
                        position.encode(),
                        LAYOUT_KEY,
                        LAYOUT,
                        COMMITTED_AT_KEY,
                        now.toString(),
                        COMPACTED_KEY,
                        Boolean.toString(compacted))
                .entrySet());
        writer.commit();
    }

    /**
     * Tells the index that it has read every change there was: from now on a change is looked up
     * before its vector is put into the graph, merges as they come are let through, and a rebuilt
     * index is merged down to a segment per {@link #COMPACTED_SEGMENT_PAIRS} pairs, on a thread of
     * its own (minutes at a million pairs) while changes are applied and searches served. The
     * segments a rebuild leaves (one per filled buffer) would each be searched on their own.
     * Called after every caught-up read; does its work once.
     */
    synchronized void caughtUp() throws IOException {
        filling = false;
        HeldMerges merges = (HeldMerges) writer.getConfig().getMergePolicy();
        if (merges.held) {
            merges.release();
            writer.maybeMerge(); // what was held, in the background now
        }
        if (compacted || compaction != null) {
            return;
        }
        compaction = DaemonThreads.named("search-index-compact").newThread(this::compact);
        compaction.start();
    }

    private void compact() {
        long started = System.nanoTime();
        try {
            searchers.maybeRefreshBlocking();
            int segments = Math.max(1, (int) Math.ceil(size() / (double) COMPACTED_SEGMENT_PAIRS));
            writer.forceMerge(segments);
            searchers.maybeRefreshBlocking(); // searches see the merged segments once compacted says so
            compacted = true;
            log.info(
                    "search index merged into {} segment(s) in {} s",
                    segments,
                    (System.nanoTime() - started) / 1_000_000_000);
        } catch (IOException | RuntimeException e) {
            // closed under it (the merge aborted, the writer closed): the commit says the merge is still to do, and the
            // next start does it
            log.debug("search index merge abandoned: {}", e.toString());
        }
    }

    /** Whether the segments a rebuild left have been merged down. */
    boolean compacted() {
        return compacted;
    }

    /** BM25 over question and answer; the query's words, analysed as the texts were, any of them matching. */
    List<Scored> keyword(String text, int n) throws IOException {
        return keyword(text, n, 0);
    }

    /**
     * BM25 over question and answer, each of the query's words (analysed as the texts were)
     * matching in either; a pair must hold at least {@code minimumShare} of the words (0: any one).
     */
    List<Scored> keyword(String text, int n, double minimumShare) throws IOException {
        List<String> terms = terms(text);
        if (terms.isEmpty()) {
            return List.of(); // only stop words
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        for (String term : terms) {
            Query either = new BooleanQuery.Builder()
                    .add(
                            new BoostQuery(new TermQuery(new Term(QUESTION, term)), QUESTION_BOOST),
                            BooleanClause.Occur.SHOULD)
                    .add(new TermQuery(new Term(ANSWER, term)), BooleanClause.Occur.SHOULD)
                    .build();
            query.add(either, BooleanClause.Occur.SHOULD);
        }
        query.setMinimumNumberShouldMatch(Math.max(1, (int) Math.ceil(minimumShare * terms.size())));
        return search(query.build(), n, false);
    }

    /** The distinct terms of {@code text} as the analyser makes them (stemmed, stop words gone). */
    private List<String> terms(String text) throws IOException {
        LinkedHashSet<String> terms = new LinkedHashSet<>();
        try (TokenStream tokens = analyzer.tokenStream(QUESTION, text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken()) {
                terms.add(term.toString());
            }
            tokens.end();
        }
        return new ArrayList<>(terms);
    }

    /**
     * The nearest vectors of the setting {@code setting} (never another's: two settings' vectors are
     * not comparable), current ones only when {@code freshOnly}; scores are cosine similarities.
     */
    List<Scored> semantic(float[] vector, String setting, int n, boolean freshOnly) throws IOException {
        if (!hasLength(vector)) {
            return List.of();
        }
        String field = vectorField(setting, vector.length);
        IndexSearcher searcher = searchers.acquire();
        try {
            int candidates = candidates(n, vectorCount(searcher.getIndexReader(), field));
            Query query = new KnnFloatVectorQuery(field, unit(vector), candidates);
            if (!freshOnly) {
                return search(searcher, query, n, true);
            }
            // freshness is the text document's (an edit makes a vector stale without touching it): the
            // candidates are checked one by one, so fewer than n come back when most nearest are stale
            List<Scored> fresh = new ArrayList<>(n);
            // counted on this thread: a task per segment for each candidate would cost more than the count
            IndexSearcher inline = new IndexSearcher(searcher.getIndexReader());
            for (Scored hit : search(searcher, query, candidates, true)) {
                Query current = new BooleanQuery.Builder()
                        .add(new TermQuery(new Term(ID, hit.id().toString())), BooleanClause.Occur.FILTER)
                        .add(new TermQuery(new Term(FRESH, setting)), BooleanClause.Occur.FILTER)
                        .build();
                if (inline.count(current) > 0) {
                    fresh.add(hit);
                    if (fresh.size() == n) {
                        break;
                    }
                }
            }
            return fresh;
        } finally {
            searchers.release(searcher);
        }
    }

    /**
     * How many vectors the index holds in {@code field} (deleted ones too, until merged away); a
     * vector field has no terms to count.
     */
    private static long vectorCount(IndexReader reader, String field) throws IOException {
        long count = 0;
        for (LeafReaderContext leaf : reader.leaves()) {
            FloatVectorValues values = leaf.reader().getFloatVectorValues(field);
            if (values != null) {
                count += values.size();
            }
        }
        return count;
    }

    /** The vectors of a setting and width in the searched index. */
    long vectorCount(String setting, int dimensions) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return vectorCount(searcher.getIndexReader(), vectorField(setting, dimensions));
        } finally {
            searchers.release(searcher);
        }
    }

    /** How many candidates the graph is searched for, for {@code n} hits among {@code vectors} vectors. */
    static int candidates(int n, long vectors) {
        long wanted = Math.min(MAX_KNN_CANDIDATES, Math.max(KNN_CANDIDATES, vectors / VECTORS_PER_CANDIDATE));
        return (int) Math.max(n, wanted);
    }

    private List<Scored> search(Query query, int n, boolean cosine) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return search(searcher, query, n, cosine);
        } finally {
            searchers.release(searcher);
        }
    }

    private static List<Scored> search(IndexSearcher searcher, Query query, int n, boolean cosine) throws IOException {
        TopDocs top = searcher.search(query, n);
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        List<Scored> out = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc hit : top.scoreDocs) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(hit.doc, leaves));
            BinaryDocValues pairs = leaf.reader().getBinaryDocValues(PAIR);
            if (pairs == null || !pairs.advanceExact(hit.doc - leaf.docBase)) {
                throw new IOException("search index document without its pair: " + hit.doc);
            }
            UUID id = pairOf(pairs.binaryValue());
            // Lucene scores the dot product of unit vectors as (1 + cos) / 2, to keep scores positive
            out.add(new Scored(id, cosine ? 2 * hit.score - 1 : hit.score));
        }
        return out;
    }

    /** How many pairs the index holds (as of the last refresh). */
    int size() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.count(new TermQuery(new Term(KIND, PAIR_KIND)));
        } finally {
            searchers.release(searcher);
        }
    }

    /** How many vectors were put into the graph since the index opened (what applying changes costs). */
    long vectorsInserted() {
        return vectorsInserted.get();
    }

    /** How many segments searches go through (as of the last refresh); each is searched on its own. */
    int segments() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.getIndexReader().leaves().size();
        } finally {
            searchers.release(searcher);
        }
    }

    /** Deletes everything in {@code dir} (an index that cannot be opened); the directory itself stays. */
    static void wipe(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Closes without waiting long for merges: the caller commits first, so a running merge is only
     * work to do again after the next start. Lucene 9 cannot stop a merge while it builds a vector
     * graph (minutes at a million pairs; its rollback waits for the graph), so the rollback gets
     * {@link #CLOSE_WAIT} and is then left to finish on a daemon thread; a process that exits
     * meanwhile leaves files the next writer deletes.
     */
    @Override
    public void close() throws IOException {
        appliers.shutdown();
        segmentSearchers.shutdown();
        searchers.close();
        Thread rollback = DaemonThreads.named("search-index-close").newThread(() -> {
            try {
                writer.rollback(); // drops what was not committed and aborts running merges
            } catch (IOException | RuntimeException e) {
                log.warn("search index not closed cleanly: {}", e.toString());
            } finally {
                mergers.shutdown();
                try {
                    directory.close();
                } catch (IOException e) {
                    log.warn("search index directory not closed cleanly: {}", e.toString());
                }
            }
        });
        rollback.start();
        try {
            rollback.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (rollback.isAlive()) {
            log.info("search index closed while a merge builds a vector graph; "
                    + "the merge is done again after the next start");
        }
    }
}
