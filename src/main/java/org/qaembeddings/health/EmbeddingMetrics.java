package org.qaembeddings.health;

import java.time.Clock;
import java.time.Instant;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.springframework.stereotype.Component;

/**
 * Gauges of the pipeline for {@code /actuator/prometheus}. One database reading serves all gauges
 * for {@code embedding.health.stats-cache-ttl}, however often they are scraped. Token, cost and
 * provider-call meters are recorded where the calls happen.
 */
@Component
class EmbeddingMetrics {

    private final EmbeddingService embeddings;
    private final HealthProperties properties;
    private final Clock clock;
    private EmbeddingHealthStats cached;
    private Instant readAt = Instant.MIN;

    EmbeddingMetrics(EmbeddingService embeddings, HealthProperties properties, Clock clock, MeterRegistry meters) {
        this.embeddings = embeddings;
        this.properties = properties;
        this.clock = clock;
        gauge(meters, "embedding.pending", "pairs waiting for a vector (PENDING and PROCESSING)", s -> s.pendingCount());
        gauge(meters, "embedding.processing", "pairs a worker is embedding now", s -> s.processingCount());
        gauge(meters, "embedding.failed", "FAILED embeddings", s -> s.failedCount());
        gauge(meters, "embedding.dead.letters", "FAILED embeddings that will not be retried automatically",
                s -> s.deadLetterCount());
        gauge(meters, "embedding.completed", "embeddings matching their pair's current text", s -> s.completedCount());
        gauge(meters, "embedding.oldest.pending.age.seconds", "how long the longest-waiting pair has waited",
                s -> s.oldestPendingAgeSeconds() == null ? 0 : s.oldestPendingAgeSeconds());
    }

    private void gauge(MeterRegistry meters, String name, String description, ToDoubleFunction<EmbeddingHealthStats> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.stats())).description(description).register(meters);
    }

    synchronized EmbeddingHealthStats stats() {
        Instant now = clock.instant();
        if (cached == null || !now.isBefore(readAt.plus(properties.statsCacheTtl()))) {
            cached = embeddings.getHealthStats();
            readAt = now;
        }
        return cached;
    }
}
