package org.qaembeddings.cost;

import static org.qaembeddings.system.Timestamps.fromDb;
import static org.qaembeddings.system.Timestamps.toDb;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** embedding_cost and its quarter-hour rollup. */
@Repository
class CostRepository {

    /** One rollup row. */
    record Bucket(Instant start, String model, CallPurpose purpose, long calls, long tokens, BigDecimal costUsd) {}

    private final JdbcClient jdbc;

    CostRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(CostRecord record) {
        jdbc.sql("""
                INSERT INTO embedding_cost (created_at, model, answered_model, purpose, tokens, items, cost_usd)
                VALUES (:at, :model, :answered, :purpose, :tokens, :items, :cost)""")
                .param("at", toDb(record.timestamp()))
                .param("model", record.model())
                .param("purpose", record.purpose().name())
                .param("answered", record.answeredModel())
                .param("tokens", record.tokens())
                .param("items", record.items())
                .param("cost", record.costUsd())
                .update();
    }

    /** Adds a call to its bucket; false when the bucket does not exist yet. */
    boolean addToBucket(Instant bucket, CostRecord record) {
        return jdbc.sql("""
                UPDATE embedding_cost_rollup
                   SET calls = calls + 1, tokens = tokens + :tokens, cost_usd = cost_usd + :cost
                 WHERE bucket_start = :bucket AND model = :model AND purpose = :purpose""")
                        .param("bucket", toDb(bucket))
                        .param("model", record.model())
                        .param("purpose", record.purpose().name())
                        .param("tokens", record.tokens())
                        .param("cost", record.costUsd())
                        .update()
                == 1;
    }

    void insertBucket(Instant bucket, CostRecord record) {
        jdbc.sql("""
                INSERT INTO embedding_cost_rollup (bucket_start, model, purpose, calls, tokens, cost_usd)
                VALUES (:bucket, :model, :purpose, 1, :tokens, :cost)""")
                .param("bucket", toDb(bucket))
                .param("model", record.model())
                .param("purpose", record.purpose().name())
                .param("tokens", record.tokens())
                .param("cost", record.costUsd())
                .update();
    }

    /** Buckets that start in {@code [from, to)}. */
    List<Bucket> buckets(Instant from, Instant to) {
        return jdbc.sql("""
                SELECT bucket_start, model, purpose, calls, tokens, cost_usd FROM embedding_cost_rollup
                 WHERE bucket_start >= :from AND bucket_start < :to
                 ORDER BY bucket_start, model, purpose""")
                .param("from", toDb(from))
                .param("to", toDb(to))
                .query((rs, n) -> new Bucket(
                        fromDb(rs, "bucket_start"),
                        rs.getString("model"),
                        CallPurpose.valueOf(rs.getString("purpose")),
                        rs.getLong("calls"),
                        rs.getLong("tokens"),
                        rs.getBigDecimal("cost_usd")))
                .list();
    }

    BigDecimal spent(Instant from, Instant to) {
        return jdbc.sql("""
                SELECT COALESCE(SUM(cost_usd), 0) FROM embedding_cost_rollup
                 WHERE bucket_start >= :from AND bucket_start < :to""")
                .param("from", toDb(from))
                .param("to", toDb(to))
                .query(BigDecimal.class)
                .single();
    }

    BigDecimal spent(CallPurpose purpose, Instant since) {
        return jdbc.sql("SELECT COALESCE(SUM(cost_usd), 0) FROM embedding_cost "
                        + "WHERE purpose = :purpose AND created_at >= :since")
                .param("purpose", purpose.name())
                .param("since", toDb(since))
                .query(BigDecimal.class)
                .single();
    }
}
