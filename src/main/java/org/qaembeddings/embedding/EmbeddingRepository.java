package org.qaembeddings.embedding;

import static org.qaembeddings.system.Timestamps.fromDb;
import static org.qaembeddings.system.Timestamps.toDb;

import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.qaembeddings.provider.Float32;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The queue in the qa_embedding table: rows enter it, are claimed, and leave it completed, failed
 * or handed back. (The counts are {@link EmbeddingCounts}'; what the API reads, {@link EmbeddingReads}'.)
 * Every write that finishes a row is a compare-and-set on the token of the
 * claim it came from (a fenced claim): an edit hands the row back to PENDING, and any later claim
 * writes a token of its own, so a worker holding an older text finds its token gone.
 * Every method that moves rows between statuses also moves their counts in qa_embedding_count,
 * and must run in the caller's transaction so that both commit together. Counts are written
 * after the rows and in one fixed order (by status), so that transactions never wait on each
 * other in a cycle.
 */
@Repository
class EmbeddingRepository {

    /**
     * A claimed row with the text it is to be embedded from, read in the claiming transaction, and
     * the token of the claim, which every later write of the row must name.
     */
    record Claimed(UUID id, String question, String answer, int attempts, long claim) {}

    /** A vector for the text whose hash is {@code textHash}, from the claim {@code claim}. */
    record Completion(UUID id, String textHash, long claim, float[] vector) {}

    /** A claimed row handed back: FAILED, or PENDING again without losing an attempt. */
    record Outcome(UUID id, long claim, String error, ErrorKind kind, Instant nextAttemptAt) {}

    /** Where one row stands, for callers that ask about specific pairs. */
    record State(UUID id, EmbeddingStatus status, Instant leaseUntil) {}

    private static final String DUE = "status = 'PENDING' AND next_attempt_at <= :now";

    private static final String LEASE_EXPIRED = "status = 'PROCESSING' AND lease_until <= :now";
    private static final String RETRYABLE = "status = 'FAILED' AND error_kind = 'TRANSIENT'"
            + " AND attempts < :maxAttempts AND next_attempt_at <= :now";
    /** The row's vector was made by a setting, and not by {@code :setting}. */
    private static final String OF_ANOTHER_SETTING =
            "vector IS NOT NULL AND vector_setting IS NOT NULL AND vector_setting <> :setting";

    /** Takes the next number of the change feed (see V9). */
    static final String NEXT_CHANGE = "nextval('pair_change_seq')";

    private final JdbcClient jdbc;
    private final NamedParameterJdbcTemplate batch;
    private final ChangeHorizon horizon;
    private final EmbeddingCounts counts;

    EmbeddingRepository(
            JdbcClient jdbc, NamedParameterJdbcTemplate batch, ChangeHorizon horizon, EmbeddingCounts counts) {
        this.jdbc = jdbc;
        this.counts = counts;
        this.batch = batch;
        this.horizon = horizon;
    }

    void insertPending(UUID id, String textHash, Instant now) {
        horizon.enlist();
        jdbc.sql("""
                INSERT INTO qa_embedding (qa_pair_id, status, text_hash, pending_since, next_attempt_at, attempts,
                                          updated_at, change_seq)
                VALUES (:id, 'PENDING', :hash, :now, :now, 0, :now, %s)""".formatted(NEXT_CHANGE))
                .param("id", id)
                .param("hash", textHash)
                .param("now", toDb(now))
                .update();
        counts.move(new EmbeddingCounts.Delta().add(EmbeddingStatus.PENDING, 1));
    }

    /**
     * Makes the row PENDING for a new text; a row already holding this text is left as it is. The
     * last vector stays (with the hash of the text it was made from) until the new one is written,
     * so that search still finds the pair by meaning meanwhile.
     */
    boolean markPendingIfChanged(UUID id, String textHash, Instant now) {
        Optional<EmbeddingStatus> before = lockedStatus(id, "text_hash <> :hash", Map.of("hash", textHash));
        if (before.isEmpty()) {
            return false;
        }
        horizon.enlist();
        jdbc.sql("""
                UPDATE qa_embedding
                   SET status = 'PENDING', text_hash = :hash, pending_since = :now, next_attempt_at = :now,
                       lease_until = NULL, attempts = 0, lease_expiries = 0, last_error = NULL, error_kind = NULL,
                       updated_at = :now, change_seq = %s
                 WHERE qa_pair_id = :id""".formatted(NEXT_CHANGE))
                .param("id", id)
                .param("hash", textHash)
                .param("now", toDb(now))
                .update();
        counts.move(new EmbeddingCounts.Delta().add(before.get(), -1).add(EmbeddingStatus.PENDING, 1));
        return true;
    }

    /**
     * Deletes a pair's row ahead of the pair itself, so that its count goes with it, and leaves
     * the deletion in the change feed.
     */
    void delete(UUID id, Instant now) {
        lockedStatus(id, "TRUE", Map.of()).ifPresent(status -> {
            horizon.enlist();
            jdbc.sql("DELETE FROM qa_embedding WHERE qa_pair_id = :id")
                    .param("id", id)
                    .update();
            jdbc.sql("INSERT INTO qa_pair_deletion (change_seq, qa_pair_id, deleted_at) VALUES (%s, :id, :now)"
                            .formatted(NEXT_CHANGE))
                    .param("id", id)
                    .param("now", toDb(now))
                    .update();
            counts.move(new EmbeddingCounts.Delta().add(status, -1));
        });
    }

    private Optional<EmbeddingStatus> lockedStatus(UUID id, String condition, Map<String, Object> params) {
        return jdbc.sql("SELECT status FROM qa_embedding WHERE qa_pair_id = :id AND " + condition + " FOR UPDATE")
                .param("id", id)
                .params(params)
                .query((rs, n) -> EmbeddingStatus.valueOf(rs.getString("status")))
                .optional();
    }

    /**
     * The worker's claim: due PENDING rows, rows whose worker's lease ran out, and transient
     * failures whose backoff has passed. Call inside a transaction: row locks are held until it
     * commits, the lease after that. Rows locked by another claim are skipped, not waited for.
     */
    List<Claimed> claimDue(Instant now, Instant leaseUntil, int limit, int maxAttempts) {
        // a row whose lease keeps running out (its worker dies on it, again and again) stops after as
        // many lost leases as it may have attempts: a dead letter an operator may retry
        int exhausted = jdbc.sql("""
                UPDATE qa_embedding
                   SET status = 'FAILED', error_kind = 'PERMANENT', lease_until = NULL, updated_at = :now,
                       lease_expiries = lease_expiries + 1,
                       last_error = 'the worker processing it stopped answering, lease after lease (lease expired)'
                 WHERE status = 'PROCESSING' AND lease_until <= :now AND lease_expiries + 1 >= :maxAttempts""")
                .param("now", toDb(now))
                .param("maxAttempts", maxAttempts)
                .update();
        EmbeddingCounts.Delta moved = new EmbeddingCounts.Delta()
                .add(EmbeddingStatus.PROCESSING, -exhausted)
                .add(EmbeddingStatus.FAILED, exhausted);
        // one ordered index probe per kind of work, the rare kinds first (they have waited longest);
        // an OR of the three would sort every due row on every claim
        return claim(
                List.of(
                        LEASE_EXPIRED + " ORDER BY lease_until",
                        RETRYABLE + " ORDER BY next_attempt_at",
                        DUE + " ORDER BY next_attempt_at"),
                Map.of("now", toDb(now), "maxAttempts", maxAttempts),
                now,
                leaseUntil,
                limit,
                moved);
    }

    /** The retry endpoint's claim: failed rows of either kind, under the attempt limit, past their backoff. */
    List<Claimed> claimFailed(Instant now, Instant leaseUntil, int limit, int maxAttempts) {
        return claim(
                List.of("status = 'FAILED' AND attempts < :maxAttempts AND next_attempt_at <= :now "
                        + "ORDER BY next_attempt_at"),
                Map.of("now", toDb(now), "maxAttempts", maxAttempts),
                now,
                leaseUntil,
                limit,
                new EmbeddingCounts.Delta());
    }

    /** The batch endpoint's claim: the named rows that lack a vector and no live worker holds. */
    List<Claimed> claimIds(Collection<UUID> ids, Instant now, Instant leaseUntil) {
        return claim(
                List.of("qa_pair_id IN (:ids) AND status <> 'COMPLETED' "
                        + "AND NOT (status = 'PROCESSING' AND lease_until > :now)"
                        + " ORDER BY next_attempt_at"),
                Map.of("ids", ids, "now", toDb(now)),
                now,
                leaseUntil,
                ids.size(),
                new EmbeddingCounts.Delta());
    }

    /**
     * The re-embed pass's claim: the named rows that are COMPLETED with a vector of another setting
     * than {@code setting}. The vector stays until the new one is written. Each starts a fresh count
     * of attempts: the attempts of its last text are no charge against the new setting.
     */
    List<Claimed> claimForSetting(Collection<UUID> ids, String setting, Instant now, Instant leaseUntil) {
        return claim(
                List.of("qa_pair_id IN (:ids) AND status = 'COMPLETED'"
                        + " AND (vector_setting IS NULL OR vector_setting <> :setting) ORDER BY next_attempt_at"),
                Map.of("ids", ids, "setting", setting),
                now,
                leaseUntil,
                ids.size(),
                new EmbeddingCounts.Delta());
    }

    /**
     * Locks up to {@code limit} rows, taking from each "condition ORDER BY column" in turn, and leases
     * them. A claim counts as an attempt, given back if the rows are handed back; a row taken over
     * from a lease that ran out keeps the attempt of the lost call instead (a crash is not the row's
     * fault) and counts the lost lease; a COMPLETED row (only the re-embed pass claims one) starts
     * its count afresh.
     */
    private List<Claimed> claim(
            List<String> conditions,
            Map<String, Object> params,
            Instant now,
            Instant leaseUntil,
            int limit,
            EmbeddingCounts.Delta moved) {
        List<UUID> ids = new ArrayList<>();
        for (String condition : conditions) {
            if (ids.size() == limit) {
                break;
            }
            jdbc.sql("SELECT qa_pair_id, status FROM qa_embedding WHERE " + condition
                            + " LIMIT :limit FOR UPDATE SKIP LOCKED")
                    .params(params)
                    .param("limit", limit - ids.size())
                    .query(rs -> {
                        ids.add(rs.getObject("qa_pair_id", UUID.class));
                        moved.add(EmbeddingStatus.valueOf(rs.getString("status")), -1)
                                .add(EmbeddingStatus.PROCESSING, 1);
                    });
        }
        if (ids.isEmpty()) {
            counts.move(moved);
            return List.of();
        }
        long claim = ThreadLocalRandom.current().nextLong();
        jdbc.sql("""
                UPDATE qa_embedding
                   SET attempts = CASE status WHEN 'PROCESSING' THEN attempts WHEN 'COMPLETED' THEN 1
                                  ELSE attempts + 1 END,
                       lease_expiries = CASE status WHEN 'PROCESSING' THEN lease_expiries + 1 WHEN 'COMPLETED' THEN 0
                                        ELSE lease_expiries END,
                       status = 'PROCESSING', lease_until = :lease, claim_token = :claim, updated_at = :now
                 WHERE qa_pair_id IN (:ids)""")
                .param("lease", toDb(leaseUntil))
                .param("now", toDb(now))
                .param("ids", ids)
                .param("claim", claim)
                .update();
        counts.move(moved);
        return jdbc.sql("""
                SELECT q.id, q.question, q.answer, e.attempts
                  FROM qa_pair q JOIN qa_embedding e ON e.qa_pair_id = q.id
                 WHERE q.id IN (:ids)
                 ORDER BY e.next_attempt_at, q.id""")
                .param("ids", ids)
                .query((rs, n) -> new Claimed(
                        rs.getObject("id", UUID.class),
                        rs.getString("question"),
                        rs.getString("answer"),
                        rs.getInt("attempts"),
                        claim))
                .list();
    }

    List<State> states(Collection<UUID> ids) {
        return jdbc.sql("SELECT qa_pair_id, status, lease_until FROM qa_embedding WHERE qa_pair_id IN (:ids)")
                .param("ids", ids)
                .query((rs, n) -> new State(
                        rs.getObject("qa_pair_id", UUID.class),
                        EmbeddingStatus.valueOf(rs.getString("status")),
                        fromDb(rs, "lease_until")))
                .list();
    }

    /**
     * Writes each vector whose claim still holds its row; returns, per completion, whether it was
     * written. The text hash is written too: it is the hash under this setting's template, which
     * the row's own may not be yet (a changed template).
     */
    boolean[] complete(List<Completion> completions, EmbeddingSetting setting, Instant now) {
        horizon.enlist();
        MapSqlParameterSource[] rows = completions.stream()
                .map(c -> new MapSqlParameterSource()
                        .addValue("id", c.id())
                        .addValue("hash", c.textHash())
                        .addValue("claim", c.claim())
                        .addValue("vector", Float32.encode(c.vector()))
                        .addValue("dimensions", c.vector().length)
                        .addValue("model", setting.model())
                        .addValue("setting", setting.key())
                        .addValue("now", toDb(now)))
                .toArray(MapSqlParameterSource[]::new);
        // a vector of another setting is kept as the previous one (a switch back then costs nothing);
        // every right-hand side reads the row as it was before this statement
        boolean[] written = written(batch.batchUpdate("""
                UPDATE qa_embedding
                   SET previous_vector = CASE WHEN %1$s THEN vector ELSE previous_vector END,
                       previous_setting = CASE WHEN %1$s THEN vector_setting ELSE previous_setting END,
                       previous_text_hash = CASE WHEN %1$s THEN vector_text_hash ELSE previous_text_hash END,
                       previous_dimensions = CASE WHEN %1$s THEN dimensions ELSE previous_dimensions END,
                       status = 'COMPLETED', vector = :vector, text_hash = :hash, vector_text_hash = :hash,
                       dimensions = :dimensions, model = :model, vector_setting = :setting, pending_since = NULL,
                       next_attempt_at = NULL, lease_until = NULL, last_error = NULL, error_kind = NULL,
                       updated_at = :now, change_seq = %2$s
                 WHERE qa_pair_id = :id AND status = 'PROCESSING'
                   AND claim_token = :claim""".formatted(OF_ANOTHER_SETTING, NEXT_CHANGE), rows));
        int n = count(written);
        counts.move(
                new EmbeddingCounts.Delta().add(EmbeddingStatus.PROCESSING, -n).add(EmbeddingStatus.COMPLETED, n));
        return written;
    }

    /** Marks rows FAILED, each only while this claim still holds it. */
    int fail(List<Outcome> outcomes, Instant now) {
        int n = count(written(batch.batchUpdate("""
                UPDATE qa_embedding
                   SET status = 'FAILED', last_error = :error, error_kind = :kind, next_attempt_at = :next,
                       lease_until = NULL, updated_at = :now
                 WHERE qa_pair_id = :id AND status = 'PROCESSING' AND claim_token = :claim""", params(outcomes, now))));
        counts.move(
                new EmbeddingCounts.Delta().add(EmbeddingStatus.PROCESSING, -n).add(EmbeddingStatus.FAILED, n));
        return n;
    }

    /** Hands rows back as PENDING without counting the attempt (rate limit, budget): the call was never made. */
    int release(List<Outcome> outcomes, Instant now) {
        int n = count(written(batch.batchUpdate("""
                UPDATE qa_embedding
                   SET status = 'PENDING', last_error = :error, error_kind = NULL, next_attempt_at = :next,
                       lease_until = NULL, attempts = attempts - 1, updated_at = :now
                 WHERE qa_pair_id = :id AND status = 'PROCESSING' AND claim_token = :claim""", params(outcomes, now))));
        counts.move(
                new EmbeddingCounts.Delta().add(EmbeddingStatus.PROCESSING, -n).add(EmbeddingStatus.PENDING, n));
        return n;
    }

    private static MapSqlParameterSource[] params(List<Outcome> outcomes, Instant now) {
        return outcomes.stream()
                .map(o -> new MapSqlParameterSource()
                        .addValue("id", o.id())
                        .addValue("claim", o.claim())
                        .addValue("error", o.error())
                        .addValue("kind", o.kind() == null ? null : o.kind().name())
                        .addValue("next", toDb(o.nextAttemptAt()))
                        .addValue("now", toDb(now)))
                .toArray(MapSqlParameterSource[]::new);
    }

    private static boolean[] written(int[] counts) {
        boolean[] out = new boolean[counts.length];
        for (int i = 0; i < counts.length; i++) {
            // some drivers report "done, count unknown" for batched statements
            out[i] = counts[i] > 0 || counts[i] == Statement.SUCCESS_NO_INFO;
        }
        return out;
    }

    private static int count(boolean[] written) {
        int sum = 0;
        for (boolean w : written) {
            sum += w ? 1 : 0;
        }
        return sum;
    }
}
