package org.qaembeddings.search;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.qaembeddings.cost.CallPurpose;
import org.qaembeddings.embedding.ProviderGate;
import org.springframework.stereotype.Component;

/**
 * Query texts embedded through the provider gate (billed, counted, within the budget and the
 * circuit like every call), the most recent kept in a bounded cache so that a repeated query
 * costs no call.
 */
@Component
class QueryVectors {

    /** A query's vector, or why there is none. */
    record QueryVector(float[] vector, String unavailable) {
    }

    private final ProviderGate gate;
    private final int capacity;
    private final Map<String, float[]> cache;

    QueryVectors(ProviderGate gate, SearchProperties properties) {
        this.gate = gate;
        this.capacity = properties.queryCacheSize();
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
                return size() > capacity;
            }
        };
    }

    QueryVector embed(String query) {
        String key = gate.model() + '\u0000' + query;
        synchronized (cache) {
            float[] cached = cache.get(key);
            if (cached != null) {
                return new QueryVector(cached, null);
            }
        }
        ProviderGate.Outcome outcome = gate.call(List.of(query), false, CallPurpose.QUERY);
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
