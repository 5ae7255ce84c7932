package org.qaembeddings.health;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code embedding.health.*}.
 *
 * @param maxPendingAge the {@code embeddings} health contributor is DOWN once a pair has waited longer than this
 * @param statsCacheTtl how long metric gauges reuse one reading of the counts, so scrapes stay cheap
 */
@ConfigurationProperties("embedding.health")
record HealthProperties(
        @DefaultValue("15m") Duration maxPendingAge,
        @DefaultValue("5s") Duration statsCacheTtl) {

    HealthProperties {
        if (maxPendingAge.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException(
                    "embedding.health.max-pending-age must be at least 1s, was " + maxPendingAge);
        }
        if (statsCacheTtl.isNegative()) {
            throw new IllegalArgumentException(
                    "embedding.health.stats-cache-ttl must not be negative, was " + statsCacheTtl);
        }
    }
}
