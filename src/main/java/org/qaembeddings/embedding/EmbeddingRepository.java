package org.qaembeddings.embedding;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import static org.qaembeddings.system.Timestamps.fromDb;
import static org.qaembeddings.system.Timestamps.toDb;

/** The qa_embedding table. Every write that finishes a row is a compare-and-set on its text hash. */
@Repository
class EmbeddingRepository {

    /** A claimed row with the text it is to be embedded from, read in the claiming transaction. */
    record Claimed(UUID id, String question, String answer, int attempts) {
    }

    /** A vector for the text whose hash is {@code textHash}. */
    record Completion(UUID id, String textHash, float[] vector) {
    }

    private static final String SUMMARY_COLUMNS =
            "qa_pair_id, status, model, dimensions, attempts, last_error, updated_at";

    private final JdbcClient jdbc;
    private final NamedParameterJdbcTemplate batch;

    EmbeddingRepository(JdbcClient jdbc, NamedParameterJdbcTemplate batch) {
        this.jdbc = jdbc;
        this.batch = batch;
    }

    void insertPending(UUID id, String textHash, Instant now) {
        jdbc.sql("""
                INSERT INTO qa_embedding (qa_pair_id, status, text_hash, pending_since, next_attempt_at, attempts, updated_at)
                VALUES (:id, 'PENDING', :hash, :now, :now, 0, :now)""")
                .param("id", id).param("hash", textHash).param("now", toDb(now))
                .update();
    }

    /** Makes the row PENDING for a new text; a row already holding this text is left as it is. */
    boolean markPendingIfChanged(UUID id, String textHash, Instant now) {
        return jdbc.sql("""
                UPDATE qa_embedding
                   SET status = 'PENDING', text_hash = :hash, pending_since = :now, next_attempt_at = :now,
                       lease_until = NULL, attempts = 0, last_error = NULL,
                       model = NULL, dimensions = NULL, vector = NULL, updated_at = :now
                 WHERE qa_pair_id = :id AND text_hash <> :hash""")
                .param("id", id).param("hash", textHash).param("now", toDb(now))
                .update() == 1;
    }

    /**
     * Takes up to {@code limit} due rows (PENDING, or PROCESSING under an expired lease) for one
     * worker; rows locked by another worker's claim are skipped, not waited for. Call inside a
     * transaction: the lock lasts until it commits, the lease after that.
     */
    List<Claimed> claim(Instant now, Instant leaseUntil, int limit) {
        List<UUID> ids = jdbc.sql("""
                SELECT qa_pair_id FROM qa_embedding
                 WHERE (status = 'PENDING' AND next_attempt_at <= :now)
                    OR (status = 'PROCESSING' AND lease_until <= :now)
                 ORDER BY next_attempt_at
                 LIMIT :limit
                 FOR UPDATE SKIP LOCKED""")
                .param("now", toDb(now)).param("limit", limit)
                .query(UUID.class).list();
        if (ids.isEmpty()) {
            return List.of();
        }
        jdbc.sql("""
                UPDATE qa_embedding
                   SET status = 'PROCESSING', lease_until = :lease, attempts = attempts + 1, updated_at = :now
                 WHERE qa_pair_id IN (:ids)""")
                .param("lease", toDb(leaseUntil)).param("now", toDb(now)).param("ids", ids)
                .update();
        return jdbc.sql("""
                SELECT q.id, q.question, q.answer, e.attempts
                  FROM qa_pair q JOIN qa_embedding e ON e.qa_pair_id = q.id
                 WHERE q.id IN (:ids)
                 ORDER BY e.next_attempt_at""")
                .param("ids", ids)
                .query((rs, n) -> new Claimed(rs.getObject("id", UUID.class), rs.getString("question"),
                        rs.getString("answer"), rs.getInt("attempts")))
                .list();
    }

    /** Writes each vector whose text is still current; returns how many were written. */
    int complete(List<Completion> completions, String model, Instant now) {
        MapSqlParameterSource[] rows = completions.stream()
                .map(c -> new MapSqlParameterSource()
                        .addValue("id", c.id()).addValue("hash", c.textHash())
                        .addValue("vector", Vectors.toBytes(c.vector())).addValue("dimensions", c.vector().length)
                        .addValue("model", model).addValue("now", toDb(now)))
                .toArray(MapSqlParameterSource[]::new);
        int[] counts = batch.batchUpdate("""
                UPDATE qa_embedding
                   SET status = 'COMPLETED', vector = :vector, dimensions = :dimensions, model = :model,
                       pending_since = NULL, next_attempt_at = NULL, lease_until = NULL, last_error = NULL,
                       updated_at = :now
                 WHERE qa_pair_id = :id AND text_hash = :hash""", rows);
        return affected(counts);
    }

    /** Marks rows FAILED, each only while it still waits for the text that failed. */
    int fail(Map<UUID, String> textHashes, String error, Instant now) {
        MapSqlParameterSource[] rows = textHashes.entrySet().stream()
                .map(e -> new MapSqlParameterSource()
                        .addValue("id", e.getKey()).addValue("hash", e.getValue())
                        .addValue("error", error).addValue("now", toDb(now)))
                .toArray(MapSqlParameterSource[]::new);
        int[] counts = batch.batchUpdate("""
                UPDATE qa_embedding
                   SET status = 'FAILED', last_error = :error, lease_until = NULL, next_attempt_at = NULL,
                       updated_at = :now
                 WHERE qa_pair_id = :id AND text_hash = :hash AND status = 'PROCESSING'""", rows);
        return affected(counts);
    }

    private static int affected(int[] counts) {
        int sum = 0;
        for (int count : counts) {
            // some drivers report "done, count unknown" for rewritten batches
            sum += count == java.sql.Statement.SUCCESS_NO_INFO ? 1 : count;
        }
        return sum;
    }

    Optional<EmbeddingDetail> findDetail(UUID id) {
        return jdbc.sql("SELECT " + SUMMARY_COLUMNS + ", vector FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", id)
                .query((rs, n) -> {
                    EmbeddingSummary s = summary(rs);
                    byte[] vector = s.status() == EmbeddingStatus.COMPLETED ? rs.getBytes("vector") : null;
                    return new EmbeddingDetail(s.status(), s.model(), s.dimensions(), s.attempts(), s.lastError(),
                            s.updatedAt(), vector == null ? null : Vectors.fromBytes(vector));
                })
                .optional();
    }

    Map<UUID, EmbeddingSummary> findSummaries(Collection<UUID> ids) {
        Map<UUID, EmbeddingSummary> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        jdbc.sql("SELECT " + SUMMARY_COLUMNS + " FROM qa_embedding WHERE qa_pair_id IN (:ids)")
                .param("ids", ids)
                .query(rs -> {
                    out.put(rs.getObject("qa_pair_id", UUID.class), summary(rs));
                });
        return out;
    }

    private static EmbeddingSummary summary(ResultSet rs) throws SQLException {
        int dimensions = rs.getInt("dimensions");
        Integer knownDimensions = rs.wasNull() ? null : dimensions;
        return new EmbeddingSummary(
                EmbeddingStatus.valueOf(rs.getString("status")),
                rs.getString("model"),
                knownDimensions,
                rs.getInt("attempts"),
                rs.getString("last_error"),
                fromDb(rs, "updated_at"));
    }
}
