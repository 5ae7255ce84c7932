package org.qaembeddings.health;

import java.time.Clock;

import org.qaembeddings.cost.CostService;
import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code embeddings} health contributor: OUT_OF_SERVICE while the budget stops provider
 * calls, DOWN while this node's worker fails its polls or a pair has waited longer than
 * {@code embedding.health.max-pending-age}, UP otherwise. It is not part of the liveness or readiness groups: a stale pipeline needs an
 * operator, not a restart, and the node still serves reads and saves.
 */
@Component("embeddings")
class EmbeddingsHealthIndicator implements HealthIndicator {

    private final EmbeddingService embeddings;
    private final CostService costs;
    private final HealthProperties properties;
    private final Clock clock;

    EmbeddingsHealthIndicator(EmbeddingService embeddings, CostService costs, HealthProperties properties, Clock clock) {
        this.embeddings = embeddings;
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
                        && stats.oldestPendingAgeSeconds() > properties.maxPendingAge().toSeconds()
                        ? Health.down().withDetail("reason", "a pair has waited " + stats.oldestPendingAgeSeconds()
                                + " s for its embedding (limit " + properties.maxPendingAge().toSeconds() + " s)")
                        : Health.up());
        return health.withDetail("pendingCount", stats.pendingCount())
                .withDetail("failedCount", stats.failedCount())
                .withDetail("completedCount", stats.completedCount())
                .build();
    }
}
