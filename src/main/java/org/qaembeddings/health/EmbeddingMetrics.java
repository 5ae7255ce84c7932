package org.qaembeddings.health;

import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.qaembeddings.embedding.ReembedProgress;
import org.qaembeddings.embedding.Reembedding;
import org.springframework.stereotype.Component;

/**
 * Gauges of the pipeline for {@code /actuator/prometheus}. One database reading serves all gauges
 * for {@code embedding.health.stats-cache-ttl}, however often they are scraped. Token, cost and
 * provider-call meters are recorded where the calls happen.
 */
@Component
class EmbeddingMetrics {

    private final EmbeddingService embeddings;
    private final Reembedding reembedding;
    private final HealthProperties properties;
    private final Clock clock;
    private EmbeddingHealthStats cached;
    private Instant readAt = Instant.MIN;
    private ReembedProgress cachedProgress;
    private Instant progressReadAt = Instant.MIN;

    EmbeddingMetrics(EmbeddingService embeddings, Reembedding reembedding, HealthProperties properties, Clock clock,
            MeterRegistry meters) {
        this.embeddings = embeddings;
        this.reembedding = reembedding;
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
        reembedGauge(meters, "embedding.reembed.pairs", "pairs the latest change of embedding setting re-embeds", p -> p.pairs());
        reembedGauge(meters, "embedding.reembed.done", "pairs re-embedded (or adopted) so far by the latest change of setting",
                p -> p.done());
        reembedGauge(meters, "embedding.reembed.active",
                "1 while a change of setting is priced, waits for approval or re-embeds; 0 when none is under way",
                p -> ACTIVE.contains(p.state()) ? 1 : 0);
    }

    private static final Set<String> ACTIVE = Set.of("ESTIMATING", "AWAITING_APPROVAL", "RUNNING");

    private void reembedGauge(MeterRegistry meters, String name, String description, ToDoubleFunction<ReembedProgress> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.progress())).description(description).register(meters);
    }

    synchronized ReembedProgress progress() {
        Instant now = clock.instant();
        if (cachedProgress == null || !now.isBefore(progressReadAt.plus(properties.statsCacheTtl()))) {
            cachedProgress = reembedding.progress();
            progressReadAt = now;
        }
        return cachedProgress;
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
