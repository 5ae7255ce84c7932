package org.qaembeddings.embedding;

import static org.qaembeddings.system.Timestamps.fromDb;

import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The per-status counts: kept in {@code qa_embedding_count} by every move of the queue (in the
 * mover's transaction, spread over slots so that concurrent movers rarely wait on one row), read
 * in constant time for the health figures, and set from the rows themselves at start-up.
 */
@Repository
class EmbeddingCounts {

    private static final int COUNT_SLOTS = 16;

    /** The statuses in the enum's order, as SQL: the one order in which count rows are locked. */
    private static final String IN_ENUM_ORDER = Arrays.stream(EmbeddingStatus.values())
            .map(st -> "WHEN '" + st.name() + "' THEN " + st.ordinal())
            .collect(Collectors.joining(" ", "CASE status ", " END"));

    /** Counts for the health figures. */
    record Stats(long pending, long processing, long completed, long failed, long deadLetters, Instant oldestPending) {}

    private final JdbcClient jdbc;

    EmbeddingCounts(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Changes of the per-status counts made by one statement or transaction. */
    static final class Delta {
        private final Map<EmbeddingStatus, Long> deltas = new EnumMap<>(EmbeddingStatus.class);

        Delta add(EmbeddingStatus status, long delta) {
            deltas.merge(status, delta, Long::sum);
            return this;
        }
    }

    /** Applies the counts, in the enum's order, to one random slot per status. */
    void move(Delta counts) {
        int slot = ThreadLocalRandom.current().nextInt(COUNT_SLOTS);
        counts.deltas.forEach((status, delta) -> {
            if (delta != 0) {
                jdbc.sql("UPDATE qa_embedding_count SET n = n + :delta WHERE status = :status AND slot = :slot")
                        .param("delta", delta)
                        .param("status", status.name())
                        .param("slot", slot)
                        .update();
            }
        });
    }

    /**
     * Sets the counts from the rows themselves, and returns how far they were off. Locking every
     * count row first makes the result exact: transactions that moved rows but not yet their
     * counts are not seen here, and add their counts after this. The locks are taken in the order
     * {@link #move} takes them (the enum's order, then the slot), so a recount at one node's
     * start-up and another node's moves wait for each other instead of deadlocking.
     */
    Map<EmbeddingStatus, Long> recount() {
        jdbc.sql("SELECT n FROM qa_embedding_count ORDER BY " + IN_ENUM_ORDER + ", slot FOR UPDATE")
                .query(Long.class)
                .list();
        Map<EmbeddingStatus, Long> before = counts();
        Map<EmbeddingStatus, Long> actual = new EnumMap<>(EmbeddingStatus.class);
        jdbc.sql("SELECT status, COUNT(*) AS n FROM qa_embedding GROUP BY status")
                .query(rs -> {
                    actual.put(EmbeddingStatus.valueOf(rs.getString("status")), rs.getLong("n"));
                });
        Map<EmbeddingStatus, Long> drift = new EnumMap<>(EmbeddingStatus.class);
        for (EmbeddingStatus status : EmbeddingStatus.values()) {
            long off = before.getOrDefault(status, 0L) - actual.getOrDefault(status, 0L);
            if (off != 0) {
                drift.put(status, off);
                jdbc.sql("UPDATE qa_embedding_count SET n = CASE WHEN slot = 0 THEN :n ELSE 0 END "
                                + "WHERE status = :status")
                        .param("n", actual.getOrDefault(status, 0L))
                        .param("status", status.name())
                        .update();
            }
        }
        return drift;
    }

    private Map<EmbeddingStatus, Long> counts() {
        Map<EmbeddingStatus, Long> counts = new EnumMap<>(EmbeddingStatus.class);
        jdbc.sql("SELECT status, SUM(n) AS n FROM qa_embedding_count GROUP BY status")
                .query(rs -> {
                    counts.put(EmbeddingStatus.valueOf(rs.getString("status")), rs.getLong("n"));
                });
        return counts;
    }

    Stats stats(int maxAttempts) {
        Map<EmbeddingStatus, Long> counts = counts();
        // DEAD_LETTER as two index-only counts: an OR of both would read the table's pages
        long deadLetters = jdbc.sql("""
                SELECT (SELECT COUNT(*) FROM qa_embedding WHERE status = 'FAILED' AND error_kind = 'PERMANENT')
                     + (SELECT COUNT(*) FROM qa_embedding
                         WHERE status = 'FAILED' AND error_kind = 'TRANSIENT' AND attempts >= :maxAttempts)""")
                .param("maxAttempts", maxAttempts)
                .query(Long.class)
                .single();
        // one index probe per status; MIN over both statuses at once would scan
        Instant oldest = null;
        for (String status : List.of("PENDING", "PROCESSING")) {
            // a literal, not a parameter: only then can PostgreSQL use its partial index
            Instant since = jdbc.sql(
                            "SELECT MIN(pending_since) AS oldest FROM qa_embedding WHERE status = '" + status + "'")
                    .query((rs, n) -> Optional.ofNullable(fromDb(rs, "oldest")))
                    .single()
                    .orElse(null);
            if (since != null && (oldest == null || since.isBefore(oldest))) {
                oldest = since;
            }
        }
        return new Stats(
                counts.getOrDefault(EmbeddingStatus.PENDING, 0L),
                counts.getOrDefault(EmbeddingStatus.PROCESSING, 0L),
                counts.getOrDefault(EmbeddingStatus.COMPLETED, 0L),
                counts.getOrDefault(EmbeddingStatus.FAILED, 0L),
                deadLetters,
                oldest);
    }
}
