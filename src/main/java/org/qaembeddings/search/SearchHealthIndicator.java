package org.qaembeddings.search;

import java.io.IOException;
import org.qaembeddings.embedding.ChangeFeed;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code search} health contributor: DOWN while this node's index cannot follow the database,
 * UP otherwise, with how far it has followed. Not part of liveness or readiness: a lagging index
 * still answers, and says so in each search's {@code degraded}.
 */
@Component("search")
class SearchHealthIndicator implements HealthIndicator {

    private final IndexFollower follower;

    SearchHealthIndicator(IndexFollower follower) {
        this.follower = follower;
    }

    @Override
    public Health health() {
        String failure = follower.failure();
        Health.Builder health = failure == null
                ? Health.up()
                : Health.down().withDetail("reason", "the search index cannot follow the database: " + failure);
        SearchIndex index = follower.index();
        if (index == null) {
            return Health.down()
                    .withDetail("reason", "the search index is closed")
                    .build();
        }
        ChangeFeed.Position position = follower.position();
        health.withDetail("caughtUp", follower.caughtUp())
                .withDetail("changePosition", position.read())
                .withDetail("openGaps", position.gaps().size())
                .withDetail("segmentsMerged", index.compacted());
        if (follower.catchUp() != null) {
            health.withDetail("catchUpMillis", follower.catchUp().toMillis());
        }
        try {
            health.withDetail("pairsIndexed", index.size());
        } catch (IOException | RuntimeException e) {
            health.withDetail("pairsIndexed", "unknown: " + e.getClass().getSimpleName());
        }
        return health.build();
    }
}
