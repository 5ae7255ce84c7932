package org.qaembeddings.embedding;

import static org.qaembeddings.system.Timestamps.fromDb;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.qaembeddings.provider.Float32;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** What the API shows of the rows: a pair's embedding, the summaries beside pairs, the failed list. */
@Repository
class EmbeddingReads {

    record FailedRow(
            UUID qaPairId,
            String question,
            int attempts,
            String lastError,
            String errorKind,
            Instant nextAttemptAt,
            Instant updatedAt) {}

    private static final String SUMMARY_COLUMNS =
            "qa_pair_id, status, model, dimensions, attempts, last_error, updated_at";
    private static final String DEAD_LETTER =
            "(status = 'FAILED' AND (error_kind = 'PERMANENT' OR attempts >= :maxAttempts))";

    private final JdbcClient jdbc;

    EmbeddingReads(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    List<FailedRow> failed(int page, int size, boolean deadLettersOnly, boolean newestFirst, int maxAttempts) {
        String direction = newestFirst ? " DESC" : "";
        // a dead letter is not retried by itself: it has no next attempt to show
        return jdbc.sql("SELECT e.qa_pair_id, p.question, e.attempts, e.last_error, e.error_kind, e.updated_at,"
                        + " CASE WHEN " + DEAD_LETTER + " THEN NULL ELSE e.next_attempt_at END AS next_attempt_at"
                        + " FROM (SELECT * FROM qa_embedding WHERE "
                        + (deadLettersOnly ? DEAD_LETTER : "status = 'FAILED'")
                        + " ORDER BY updated_at" + direction + ", qa_pair_id" + direction
                        + " LIMIT :limit OFFSET :offset) e"
                        + " JOIN qa_pair p ON p.id = e.qa_pair_id"
                        + " ORDER BY e.updated_at" + direction + ", e.qa_pair_id" + direction)
                .param("maxAttempts", maxAttempts)
                .param("limit", size)
                .param("offset", (long) page * size)
                .query((rs, n) -> new FailedRow(
                        rs.getObject("qa_pair_id", UUID.class),
                        rs.getString("question"),
                        rs.getInt("attempts"),
                        rs.getString("last_error"),
                        rs.getString("error_kind"),
                        fromDb(rs, "next_attempt_at"),
                        fromDb(rs, "updated_at")))
                .list();
    }

    /**
     * A row's summary and vector, with the setting that made the vector; {@code current} says only
     * that the vector is of the pair's current text ({@link EmbeddingDetail#forSetting} adds the setting).
     */
    Optional<EmbeddingDetail> findDetail(UUID id) {
        return jdbc.sql("SELECT e.qa_pair_id, e.status, e.model, e.dimensions, e.attempts, e.last_error, e.updated_at,"
                        + " e.vector, e.vector IS NOT NULL AND e.vector_text_hash = e.text_hash AS vector_current,"
                        + " s.setting_key, s.provider, s.model AS setting_model, s.dimensions AS setting_dimensions,"
                        + " s.text_template"
                        + " FROM qa_embedding e LEFT JOIN embedding_setting s ON s.setting_key = e.vector_setting"
                        + " WHERE e.qa_pair_id = :id")
                .param("id", id)
                .query((rs, n) -> {
                    EmbeddingSummary s = summary(rs);
                    byte[] vector = s.status() == EmbeddingStatus.COMPLETED ? rs.getBytes("vector") : null;
                    String key = rs.getString("setting_key");
                    EmbeddingSetting setting = key == null
                            ? null
                            : new EmbeddingSetting(
                                    key,
                                    rs.getString("provider"),
                                    rs.getString("setting_model"),
                                    rs.getInt("setting_dimensions"),
                                    rs.getString("text_template"));
                    return new EmbeddingDetail(
                            s.status(),
                            s.model(),
                            s.dimensions(),
                            s.attempts(),
                            s.lastError(),
                            s.updatedAt(),
                            setting,
                            rs.getBoolean("vector_current"),
                            vector == null ? null : Float32.decode(vector));
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

    /** A row's summary; model and width are those of a current vector (an edited pair's old one is not shown). */
    private static EmbeddingSummary summary(ResultSet rs) throws SQLException {
        EmbeddingStatus status = EmbeddingStatus.valueOf(rs.getString("status"));
        int dimensions = rs.getInt("dimensions");
        Integer knownDimensions = rs.wasNull() || status != EmbeddingStatus.COMPLETED ? null : dimensions;
        return new EmbeddingSummary(
                status,
                status == EmbeddingStatus.COMPLETED ? rs.getString("model") : null,
                knownDimensions,
                rs.getInt("attempts"),
                rs.getString("last_error"),
                fromDb(rs, "updated_at"));
    }
}
