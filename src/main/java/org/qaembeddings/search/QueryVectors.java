package org.qaembeddings.search;

import java.util.LinkedHashMap;
import java.util.Map;
import org.qaembeddings.embedding.EmbeddingSetting;
import org.qaembeddings.embedding.ProviderGate;
import org.qaembeddings.embedding.QueryEmbedding;
import org.springframework.stereotype.Component;

/**
 * Query texts embedded through the provider gate (billed, counted, within the budget and the
 * circuit like every call) by the setting whose vectors answer, the most recent kept in a bounded
 * cache so that a repeated query costs no call.
 */
@Component
class QueryVectors {

    /** A query's vector, or why there is none. */
    record QueryVector(float[] vector, String unavailable) {}

    private final QueryEmbedding embedding;
    private final int capacity;
    private final Map<String, float[]> cache;

    QueryVectors(QueryEmbedding embedding, SearchProperties properties) {
        this.embedding = embedding;
        this.capacity = properties.queryCacheSize();
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The vector of {@code query} in the space of {@code setting}. */
    QueryVector embed(String query, EmbeddingSetting setting) {
        String key = setting.key() + '\u0000' + query;
        synchronized (cache) {
            float[] cached = cache.get(key);
            if (cached != null) {
                return new QueryVector(cached, null);
            }
        }
        ProviderGate.Outcome outcome = embedding.embed(setting, query);
        if (outcome instanceof ProviderGate.Answered answered) {
            float[] vector = answered.result().vectors().get(0);
            if (capacity > 0) {
                synchronized (cache) {
                    cache.put(key, vector);
                }
            }
            return new QueryVector(vector, null);
        }
        if (outcome instanceof ProviderGate.NotSent notSent) {
            return new QueryVector(null, notSent.reason());
        }
        if (outcome instanceof ProviderGate.Failed failed) {
            return new QueryVector(null, failed.error().getMessage());
        }
        return new QueryVector(null, "this node is shutting down");
    }
}
