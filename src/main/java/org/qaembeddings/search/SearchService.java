package org.qaembeddings.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.qaembeddings.embedding.ChangeFeed;
import org.qaembeddings.embedding.EmbeddingSetting;
import org.qaembeddings.embedding.Reembedding;
import org.qaembeddings.system.NotFoundException;
import org.springframework.stereotype.Service;

/**
 * Finds pairs by meaning, by words, or by both, fused with reciprocal rank fusion (each side's
 * rank r adds 1 / (60 + r); in the fusion, a pair's words count when it holds most of the query's).
 * The index ranks; the database then supplies every hit's current
 * texts and state, so a deleted pair never appears and no text shown is stale. When the query
 * cannot be embedded, or the index is still being built, the answer comes from the words alone
 * and says so: a search never fails because the provider is down.
 */
@Service
class SearchService {

    /** Reciprocal rank fusion's constant, as Elasticsearch and OpenSearch use it. */
    static final int RRF_K = 60;
    /** How deep each side is read before fusing. */
    static final int FUSION_WINDOW = 50;
    /**
     * In {@code hybrid}, words count for a pair that holds at least this share of the query's
     * words (after stemming and stop words). A looser match is left to the meaning side: one
     * shared word ("app", "account") says little, and fused at full weight it pushed the right
     * pair down for most paraphrases (see the search quality benchmark).
     */
    static final double HYBRID_WORD_SHARE = 0.75;

    private final IndexFollower follower;
    private final QueryVectors queries;
    private final ChangeFeed feed;
    private final Reembedding settings;

    SearchService(IndexFollower follower, QueryVectors queries, ChangeFeed feed, Reembedding settings) {
        this.follower = follower;
        this.queries = queries;
        this.feed = feed;
        this.settings = settings;
    }

    SearchResponse search(String query, int k, SearchMode mode, Double minScore, boolean freshOnly) {
        long started = System.nanoTime();
        SearchIndex index = index();
        String degraded = follower.failure() == null
                ? null
                : "the search index could not follow the database (" + follower.failure()
                        + "): recent changes may be missing";
        List<SearchIndex.Scored> semantic = List.of();
        String setting = null;
        boolean semanticRan = false;
        EmbeddingSetting serving = settings.serving();
        try {
            if (mode != SearchMode.KEYWORD) {
                if (!follower.caughtUp()) {
                    degraded = "the search index is being built from the database: "
                            + "keyword results only until it has caught up";
                } else {
                    QueryVectors.QueryVector vector = queries.embed(query, serving);
                    if (vector.vector() == null) {
                        degraded =
                                "the query could not be embedded (" + vector.unavailable() + "): keyword results only";
                    } else {
                        setting = serving.key();
                        semantic = index.semantic(
                                vector.vector(),
                                setting,
                                mode == SearchMode.SEMANTIC ? k : Math.max(k, FUSION_WINDOW),
                                freshOnly);
                        semanticRan = true;
                    }
                }
            }
            List<SearchIndex.Scored> keyword = List.of();
            boolean keywordOnly = mode == SearchMode.KEYWORD || !semanticRan;
            if (mode != SearchMode.SEMANTIC || !semanticRan) {
                keyword = keywordOnly
                        ? index.keyword(query, k)
                        : index.keyword(query, Math.max(k, FUSION_WINDOW), HYBRID_WORD_SHARE);
            }
            List<Ranked> ranked = keywordOnly
                    ? single(keyword, false)
                    : mode == SearchMode.SEMANTIC ? single(semantic, true) : fuse(semantic, keyword);
            List<Ranked> kept = ranked.stream()
                    .filter(r -> minScore == null || r.score() >= minScore)
                    .limit(k)
                    .toList();
            List<SearchResponse.Hit> hits = readBack(kept, serving.key());
            return new SearchResponse(
                    query, mode.label(), setting, (System.nanoTime() - started) / 1_000_000, degraded, hits);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The pairs nearest to this one's stored vector, itself left out; no provider call. Its vector
     * of the setting that answers searches is used, else its own (a pair added during a switch).
     */
    SearchResponse similar(UUID id, int k) {
        long started = System.nanoTime();
        ChangeFeed.Change pair = feed.current(List.of(id)).stream()
                .findFirst()
                .orElseThrow(() -> new NotFoundException("no QA pair with id " + id));
        String serving = settings.serving().key();
        String setting = pair.vectorOf(serving) != null ? serving : pair.setting();
        float[] vector = pair.vectorOf(serving) != null ? pair.vectorOf(serving) : pair.vector();
        if (vector == null) {
            return new SearchResponse(
                    null,
                    "similar",
                    null,
                    (System.nanoTime() - started) / 1_000_000,
                    "this pair has no vector yet",
                    List.of());
        }
        try {
            List<SearchIndex.Scored> nearest = index().semantic(vector, setting, k + 1, false).stream()
                    .filter(s -> !s.id().equals(id))
                    .limit(k)
                    .toList();
            return new SearchResponse(
                    null,
                    "similar",
                    setting,
                    (System.nanoTime() - started) / 1_000_000,
                    follower.caughtUp()
                            ? null
                            : "the search index is being built from the database: some pairs may be missing",
                    readBack(single(nearest, true), setting));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SearchIndex index() {
        SearchIndex index = follower.index();
        if (index == null) {
            throw new IllegalStateException("the search index is closed");
        }
        return index;
    }

    /** A hit before read-back: its id, final score and the rank it had on each side. */
    private record Ranked(UUID id, double score, Integer semanticRank, Integer keywordRank) {}

    private static List<Ranked> single(List<SearchIndex.Scored> side, boolean semantic) {
        List<Ranked> out = new ArrayList<>(side.size());
        for (int i = 0; i < side.size(); i++) {
            SearchIndex.Scored s = side.get(i);
            out.add(new Ranked(s.id(), s.score(), semantic ? i + 1 : null, semantic ? null : i + 1));
        }
        return out;
    }

    private static List<Ranked> fuse(List<SearchIndex.Scored> semantic, List<SearchIndex.Scored> keyword) {
        Map<UUID, Integer> semanticRanks = ranks(semantic);
        Map<UUID, Integer> keywordRanks = ranks(keyword);
        Map<UUID, Double> scores = new LinkedHashMap<>();
        semanticRanks.forEach((id, rank) -> scores.merge(id, 1.0 / (RRF_K + rank), Double::sum));
        keywordRanks.forEach((id, rank) -> scores.merge(id, 1.0 / (RRF_K + rank), Double::sum));
        return scores.entrySet().stream()
                .map(e -> new Ranked(
                        e.getKey(), e.getValue(), semanticRanks.get(e.getKey()), keywordRanks.get(e.getKey())))
                .sorted(Comparator.comparingDouble(Ranked::score)
                        .reversed()
                        .thenComparing(r -> r.semanticRank() == null ? Integer.MAX_VALUE : r.semanticRank()))
                .toList();
    }

    private static Map<UUID, Integer> ranks(List<SearchIndex.Scored> side) {
        Map<UUID, Integer> ranks = new HashMap<>();
        for (int i = 0; i < side.size(); i++) {
            ranks.putIfAbsent(side.get(i).id(), i + 1);
        }
        return ranks;
    }

    /**
     * Each hit's current texts and state from the database, a pair deleted since it was indexed left
     * out; a hit is fresh when its vector of {@code setting} (the one that ranked) is of its current text.
     */
    private List<SearchResponse.Hit> readBack(List<Ranked> ranked, String setting) {
        Map<UUID, ChangeFeed.Change> current = feed
                .texts(ranked.stream().map(Ranked::id).toList())
                .stream()
                .collect(Collectors.toMap(ChangeFeed.Change::id, Function.identity()));
        List<SearchResponse.Hit> hits = new ArrayList<>(ranked.size());
        for (Ranked r : ranked) {
            ChangeFeed.Change pair = current.get(r.id());
            if (pair != null) {
                boolean fresh = pair.freshFor(setting);
                hits.add(new SearchResponse.Hit(
                        pair.id(),
                        pair.question(),
                        pair.answer(),
                        r.score(),
                        new SearchResponse.Ranks(r.semanticRank(), r.keywordRank()),
                        new SearchResponse.Embedding(pair.status(), fresh)));
            }
        }
        return hits;
    }
}
