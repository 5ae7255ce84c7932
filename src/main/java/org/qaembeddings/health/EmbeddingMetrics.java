package org.qaembeddings.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.qaembeddings.cost.BudgetStatus;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.qaembeddings.embedding.ReembedProgress;
import org.qaembeddings.embedding.Reembedding;
import org.springframework.stereotype.Component;

/**
 * Gauges of the pipeline for {@code /actuator/prometheus}. One database reading serves all gauges
 * of a kind for {@code embedding.health.stats-cache-ttl}, however often they are scraped. Token,
 * cost and provider-call meters are recorded where the calls happen.
 */
@Component
class EmbeddingMetrics {

    /** A switch in one of these states is under way. */
    private static final Set<String> ACTIVE = Set.of("ESTIMATING", "AWAITING_APPROVAL", "RUNNING");

    /** The last value read from {@code source}, read again once it is older than {@code ttl}. */
    private static final class Reading<T> {
        private final Supplier<T> source;
        private final Clock clock;
        private final Duration ttl;
        private T value;
        private Instant readAt = Instant.MIN;

        Reading(Supplier<T> source, Clock clock, Duration ttl) {
            this.source = source;
            this.clock = clock;
            this.ttl = ttl;
        }

        synchronized T get() {
            Instant now = clock.instant();
            if (value == null || !now.isBefore(readAt.plus(ttl))) {
                value = source.get();
                readAt = now;
            }
            return value;
        }
    }

    EmbeddingMetrics(
            EmbeddingService embeddings,
            Reembedding reembedding,
            CostService costs,
            HealthProperties properties,
            Clock clock,
            MeterRegistry meters) {
        Reading<EmbeddingHealthStats> stats =
                new Reading<>(embeddings::getHealthStats, clock, properties.statsCacheTtl());
        Reading<ReembedProgress> reembed = new Reading<>(reembedding::progress, clock, properties.statsCacheTtl());
        gauge(
                meters,
                "embedding.pending",
                "pairs waiting for a vector (PENDING and PROCESSING)",
                stats,
                s -> s.pendingCount());
        gauge(meters, "embedding.processing", "pairs a worker is embedding now", stats, s -> s.processingCount());
        gauge(meters, "embedding.failed", "FAILED embeddings", stats, s -> s.failedCount());
        gauge(
                meters,
                "embedding.dead.letters",
                "FAILED embeddings that will not be retried automatically",
                stats,
                s -> s.deadLetterCount());
        gauge(
                meters,
                "embedding.completed",
                "embeddings matching their pair's current text",
                stats,
                s -> s.completedCount());
        gauge(
                meters,
                "embedding.oldest.pending.age.seconds",
                "how long the longest-waiting pair has waited",
                stats,
                s -> s.oldestPendingAgeSeconds() == null ? 0 : s.oldestPendingAgeSeconds());
        long limit = properties.maxPendingAge().toSeconds();
        // the alert rule compares the age with the limit each node was started with
        Gauge.builder("embedding.oldest.pending.age.limit.seconds", () -> limit)
                .description("embedding.health.max-pending-age: the health contributor is DOWN past it")
                .register(meters);
        gauge(
                meters,
                "embedding.reembed.pairs",
                "pairs the latest change of embedding setting re-embeds",
                reembed,
                p -> p.pairs());
        gauge(
                meters,
                "embedding.reembed.done",
                "pairs re-embedded (or adopted) so far by the latest change of setting",
                reembed,
                p -> p.done());
        gauge(
                meters,
                "embedding.reembed.active",
                "1 while a change of setting is priced, waits for approval or re-embeds; 0 when none is under way",
                reembed,
                p -> ACTIVE.contains(p.state()) ? 1 : 0);
        Reading<BudgetStatus> budget =
                new Reading<>(() -> costs.budget(clock.instant()), clock, properties.statsCacheTtl());
        // NaN where no budget is set: an alert on the ratio then never fires
        String used = "spend of the current period over its budget (1 = reached); NaN when none is set";
        gauge(meters, "embedding.budget.used.ratio", used, budget, b -> orNaN(b.dailyShare()), "period", "day");
        gauge(meters, "embedding.budget.used.ratio", used, budget, b -> orNaN(b.monthlyShare()), "period", "month");
    }

    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }

    private static <T> void gauge(
            MeterRegistry meters,
            String name,
            String description,
            Reading<T> reading,
            ToDoubleFunction<T> value,
            String... tags) {
        // held strongly: nothing else holds the readings, and a gauge holds its state weakly by default
        Gauge.builder(name, reading, r -> value.applyAsDouble(r.get()))
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(meters);
    }
}
