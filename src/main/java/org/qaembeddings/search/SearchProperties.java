package org.qaembeddings.search;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code search.*}: where this node keeps its index and how closely it follows the database.
 *
 * @param indexDir this node's index directory; derived from the database, rebuilt when missing or
 *     corrupt; never shared by two nodes
 * @param refreshInterval how often the index reads the database's changes (10ms..10s): a change
 *     is found within about this long
 * @param commitInterval how often the index is written durably with its change position (1s..1h);
 *     after a crash it reads the changes since
 * @param queryCacheSize query vectors kept, so that a repeated query makes no provider call (0..1,000,000)
 * @param deletionRetention how long deletions stay in the change feed; a node whose index is older
 *     rebuilds it (1h..365d)
 */
@ConfigurationProperties("search")
public record SearchProperties(
        @DefaultValue("./data/search-index") Path indexDir,
        @DefaultValue("200ms") Duration refreshInterval,
        @DefaultValue("10s") Duration commitInterval,
        @DefaultValue("1000") int queryCacheSize,
        @DefaultValue("7d") Duration deletionRetention) {

    public SearchProperties {
        if (refreshInterval.compareTo(Duration.ofMillis(10)) < 0
                || refreshInterval.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("search.refresh-interval must be 10ms..10s, was " + refreshInterval);
        }
        if (commitInterval.compareTo(Duration.ofSeconds(1)) < 0 || commitInterval.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("search.commit-interval must be 1s..1h, was " + commitInterval);
        }
        if (queryCacheSize < 0 || queryCacheSize > 1_000_000) {
            throw new IllegalArgumentException("search.query-cache-size must be 0..1000000, was " + queryCacheSize);
        }
        if (deletionRetention.compareTo(Duration.ofHours(1)) < 0
                || deletionRetention.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException("search.deletion-retention must be 1h..365d, was " + deletionRetention);
        }
    }
}
