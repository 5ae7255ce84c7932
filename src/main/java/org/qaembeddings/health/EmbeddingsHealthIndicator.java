package org.qaembeddings.health;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.qaembeddings.embedding.ReembedProgress;
import org.qaembeddings.embedding.Reembedding;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code embeddings} health contributor: OUT_OF_SERVICE while the budget stops provider
 * calls, DOWN while this node's worker fails its polls or a pair has waited longer than
 * {@code embedding.health.max-pending-age}, UP otherwise. It is not part of the liveness or
 * readiness groups: a stale pipeline needs an
 * operator, not a restart, and the node still serves reads and saves.
 */
@Component("embeddings")
class EmbeddingsHealthIndicator implements HealthIndicator {

    private final EmbeddingService embeddings;
    private final Reembedding reembedding;
    private final CostService costs;
    private final HealthProperties properties;
    private final Clock clock;

    EmbeddingsHealthIndicator(
            EmbeddingService embeddings,
            Reembedding reembedding,
            CostService costs,
            HealthProperties properties,
            Clock clock) {
        this.embeddings = embeddings;
        this.reembedding = reembedding;
        this.costs = costs;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public Health health() {
        EmbeddingHealthStats stats = embeddings.getHealthStats();
        Health.Builder health = costs.budgetExhausted(clock.instant())
                .map(reason -> Health.outOfService().withDetail("reason", reason))
                .or(() -> embeddings.workerFailure().map(reason -> Health.down().withDetail("reason", reason)))
                .orElseGet(() -> stats.oldestPendingAgeSeconds() != null
                                && stats.oldestPendingAgeSeconds()
                                        > properties.maxPendingAge().toSeconds()
                        ? Health.down()
                                .withDetail(
                                        "reason",
                                        "a pair has waited " + stats.oldestPendingAgeSeconds()
                                                + " s for its embedding (limit "
                                                + properties.maxPendingAge().toSeconds() + " s)")
                        : Health.up());
        return health.withDetail("pendingCount", stats.pendingCount())
                .withDetail("failedCount", stats.failedCount())
                .withDetail("completedCount", stats.completedCount())
                .withDetail("reembed", reembed(reembedding.progress()))
                .build();
    }

    /** The latest change of setting, in brief; the whole of it is at {@code GET /api/embeddings/reembed}. */
    private static Map<String, Object> reembed(ReembedProgress p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", p.state());
        out.put("setting", p.to() == null ? null : p.to().key());
        out.put("pairs", p.pairs());
        out.put("done", p.done());
        out.put("etaSeconds", p.etaSeconds());
        return out;
    }
}
