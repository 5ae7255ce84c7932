package org.qaembeddings.embedding;

import static org.qaembeddings.system.Timestamps.fromDb;
import static org.qaembeddings.system.Timestamps.toDb;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The embedding settings in use, and the switches from one to the next (V11). */
@Repository
class SwitchRepository {

    /**
     * ESTIMATING counts the tokens to send; AWAITING_APPROVAL holds a switch that costs more than
     * may start by itself; RUNNING re-embeds; DONE and SUPERSEDED (by a later switch) are over.
     */
    enum State {
        ESTIMATING,
        AWAITING_APPROVAL,
        RUNNING,
        DONE,
        SUPERSEDED;

        boolean over() {
            return this == DONE || this == SUPERSEDED;
        }
    }

    /** One switch; {@code from} is null when the vectors it replaces recorded no setting. */
    record Switch(
            long id,
            String from,
            String to,
            State state,
            long pairs,
            long done,
            long tokens,
            BigDecimal estimatedCostUsd,
            Instant cursorCreatedAt,
            UUID cursorId,
            Instant startedAt,
            Instant approvedAt,
            Instant finishedAt,
            Instant previousDroppedAt) {}

    /** A pair whose vector is of another setting, next in the switch's walk, and the vector kept from before that. */
    record Candidate(
            UUID id,
            Instant createdAt,
            String question,
            String answer,
            String setting,
            String model,
            int dimensions,
            String vectorTextHash,
            String previousSetting,
            String previousTextHash) {}

    /** A vector of another setting that is not a dead letter: the switch is not over while one is left. */
    private static final String OTHER_SETTING =
            "vector IS NOT NULL AND (vector_setting IS NULL OR vector_setting <> :to)"
                    + " AND NOT (status = 'FAILED' AND (error_kind = 'PERMANENT' OR attempts >= :maxAttempts))";

    private final JdbcClient jdbc;
    private final ChangeHorizon horizon;

    SwitchRepository(JdbcClient jdbc, ChangeHorizon horizon) {
        this.jdbc = jdbc;
        this.horizon = horizon;
    }

    /** Records the setting's readable fields, once. */
    boolean register(EmbeddingSetting setting, Instant now) {
        if (find(setting.key()).isPresent()) {
            return false;
        }
        jdbc.sql("""
                INSERT INTO embedding_setting (setting_key, provider, model, dimensions, text_template, first_used_at)
                VALUES (:key, :provider, :model, :dimensions, :template, :now)""")
                .param("key", setting.key())
                .param("provider", setting.provider())
                .param("model", setting.model())
                .param("dimensions", setting.dimensions())
                .param("template", setting.template())
                .param("now", toDb(now))
                .update();
        return true;
    }

    Optional<EmbeddingSetting> find(String key) {
        return jdbc.sql("SELECT setting_key, provider, model, dimensions, text_template FROM embedding_setting "
                        + "WHERE setting_key = :key")
                .param("key", key)
                .query((rs, n) -> new EmbeddingSetting(
                        rs.getString("setting_key"),
                        rs.getString("provider"),
                        rs.getString("model"),
                        rs.getInt("dimensions"),
                        rs.getString("text_template")))
                .optional();
    }

    /** The latest switch; {@code lock} holds it for this transaction, so that one node at a time moves its cursor. */
    Optional<Switch> latest(boolean lock) {
        Optional<Long> id = jdbc.sql("SELECT MAX(id) FROM embedding_switch")
                .query(Long.class)
                .optional();
        if (id.isEmpty()) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT * FROM embedding_switch WHERE id = :id" + (lock ? " FOR UPDATE" : ""))
                .param("id", id.get())
                .query(SwitchRepository::row)
                .optional();
    }

    long begin(String from, String to, long pairs, Instant now) {
        jdbc.sql("""
                INSERT INTO embedding_switch (from_setting, to_setting, state, pairs, done, started_at, finished_at)
                VALUES (:from, :to, :state, :pairs, 0, :now, :finished)""")
                .param("from", from)
                .param("to", to)
                .param("pairs", pairs)
                .param("now", toDb(now))
                .param("state", (pairs == 0 ? State.DONE : State.ESTIMATING).name())
                .param("finished", pairs == 0 ? toDb(now) : null)
                .update();
        return jdbc.sql("SELECT MAX(id) FROM embedding_switch")
                .query(Long.class)
                .single();
    }

    void end(long id, State state, Instant now) {
        jdbc.sql("UPDATE embedding_switch SET state = :state, finished_at = :now WHERE id = :id")
                .param("state", state.name())
                .param("now", toDb(now))
                .param("id", id)
                .update();
    }

    /**
     * Moves the cursor past the window's last pair (null: back to the first pair, for another lap)
     * and adds to what is done.
     */
    void advance(long id, Window past, long done) {
        jdbc.sql("UPDATE embedding_switch SET cursor_created_at = :at, cursor_id = :pair, done = done + :done "
                        + "WHERE id = :id")
                .param("at", past == null ? null : toDb(past.lastCreatedAt()))
                .param("pair", past == null ? null : past.lastId())
                .param("done", done)
                .param("id", id)
                .update();
    }

    /** Adds {@code tokens} to the estimate and moves its cursor past the window's last pair. */
    void estimate(long id, Window past, long tokens) {
        jdbc.sql("UPDATE embedding_switch SET cursor_created_at = :at, cursor_id = :pair, "
                        + "tokens = tokens + :tokens WHERE id = :id")
                .param("at", toDb(past.lastCreatedAt()))
                .param("pair", past.lastId())
                .param("tokens", tokens)
                .param("id", id)
                .update();
    }

    /** Ends the estimate at {@code tokens} and {@code cost}, and puts the cursor back to the first pair. */
    void estimated(long id, long tokens, BigDecimal cost, State next, Instant now) {
        jdbc.sql("""
                UPDATE embedding_switch
                   SET tokens = :tokens, estimated_cost_usd = :cost, state = :state, cursor_created_at = NULL,
                       cursor_id = NULL, approved_at = :approved
                 WHERE id = :id""")
                .param("tokens", tokens)
                .param("cost", cost)
                .param("state", next.name())
                .param("approved", next == State.RUNNING ? toDb(now) : null)
                .param("id", id)
                .update();
    }

    void approve(long id, Instant now) {
        jdbc.sql("UPDATE embedding_switch SET state = 'RUNNING', approved_at = :now WHERE id = :id")
                .param("now", toDb(now))
                .param("id", id)
                .update();
    }

    /** Vectors of another setting than {@code to}, dead letters left out. */
    long otherVectors(String to, int maxAttempts) {
        return jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE " + OTHER_SETTING)
                .param("to", to)
                .param("maxAttempts", maxAttempts)
                .query(Long.class)
                .single();
    }

    /** COMPLETED rows with a vector of another setting than {@code to}: what another lap of the walk would take. */
    long otherCompleted(String to) {
        return jdbc.sql("SELECT COUNT(*) FROM qa_embedding "
                        + "WHERE status = 'COMPLETED' AND (vector_setting IS NULL OR vector_setting <> :to)")
                .param("to", to)
                .query(Long.class)
                .single();
    }

    /** The setting of some vector of another setting than {@code to}: where a switch comes from. */
    Optional<String> anotherSetting(String to) {
        return jdbc.sql("SELECT vector_setting FROM qa_embedding "
                        + "WHERE vector IS NOT NULL AND vector_setting <> :to LIMIT 1")
                .param("to", to)
                .query(String.class)
                .optional();
    }

    /**
     * The pairs a step walks over: {@code examined} of them after the cursor, the last at
     * {@code lastCreatedAt}/{@code lastId}, and among them the {@code candidates}: COMPLETED pairs
     * whose vector is of another setting than the switch's target.
     */
    record Window(List<Candidate> candidates, Instant lastCreatedAt, UUID lastId, int examined) {}

    /**
     * The next {@code limit} pairs, oldest first, after the switch's cursor, and the candidates among
     * them. The walk reads the (created_at, id) index alone and then looks the few pairs up: a join
     * ordered by the pair's creation was planned as a scan and sort of every row, on every step.
     */
    Window next(Switch s, int limit) {
        record Walked(UUID id, Instant createdAt) {}
        // a row comparison, one range of the index: pairs saved in one transaction share created_at
        String after = s.cursorId() == null ? "" : " WHERE (created_at, id) > (:at, :pair)";
        List<Walked> walked = jdbc.sql(
                        "SELECT id, created_at FROM qa_pair" + after + " ORDER BY created_at, id LIMIT :limit")
                .param("at", toDb(s.cursorCreatedAt()))
                .param("pair", s.cursorId())
                .param("limit", limit)
                .query((rs, n) -> new Walked(rs.getObject("id", UUID.class), fromDb(rs, "created_at")))
                .list();
        if (walked.isEmpty()) {
            return new Window(List.of(), null, null, 0);
        }
        Walked last = walked.get(walked.size() - 1);
        List<Candidate> candidates = jdbc.sql("""
                        SELECT p.id, p.created_at, p.question, p.answer, e.vector_setting, e.model, e.dimensions,
                               e.vector_text_hash, e.previous_setting, e.previous_text_hash
                          FROM qa_pair p JOIN qa_embedding e ON e.qa_pair_id = p.id
                         WHERE p.id IN (:ids) AND e.status = 'COMPLETED'
                           AND (e.vector_setting IS NULL OR e.vector_setting <> :to)
                         ORDER BY p.created_at, p.id""")
                .param("ids", walked.stream().map(Walked::id).toList())
                .param("to", s.to())
                .query((rs, n) -> new Candidate(
                        rs.getObject("id", UUID.class),
                        fromDb(rs, "created_at"),
                        rs.getString("question"),
                        rs.getString("answer"),
                        rs.getString("vector_setting"),
                        rs.getString("model"),
                        rs.getInt("dimensions"),
                        rs.getString("vector_text_hash"),
                        rs.getString("previous_setting"),
                        rs.getString("previous_text_hash")))
                .list();
        return new Window(candidates, last.createdAt(), last.id(), walked.size());
    }

    /**
     * Records {@code setting} on vectors that recorded none and that it would make alike, with no
     * provider call; the index sees them as changed.
     */
    int adopt(Collection<UUID> ids, String setting, Instant now) {
        if (ids.isEmpty()) {
            return 0;
        }
        horizon.enlist();
        return jdbc.sql("""
                UPDATE qa_embedding SET vector_setting = :setting, updated_at = :now, change_seq = %s
                 WHERE qa_pair_id IN (:ids) AND status = 'COMPLETED'
                   AND vector_setting IS NULL""".formatted(EmbeddingRepository.NEXT_CHANGE))
                .param("setting", setting)
                .param("now", toDb(now))
                .param("ids", ids)
                .update();
    }

    /**
     * Swaps the vector and the one kept from before, for pairs whose kept vector is of {@code to}
     * and of their current text: a switch back that makes no call. The vector swapped out is kept.
     */
    int restorePrevious(Collection<UUID> ids, EmbeddingSetting to, Instant now) {
        if (ids.isEmpty()) {
            return 0;
        }
        horizon.enlist();
        return jdbc.sql("""
                UPDATE qa_embedding
                   SET vector = previous_vector, previous_vector = vector,
                       vector_setting = previous_setting, previous_setting = vector_setting,
                       vector_text_hash = previous_text_hash, previous_text_hash = vector_text_hash,
                       text_hash = previous_text_hash,
                       dimensions = previous_dimensions, previous_dimensions = dimensions,
                       model = :model, updated_at = :now, change_seq = %s
                 WHERE qa_pair_id IN (:ids) AND status = 'COMPLETED'
                   AND previous_setting = :to""".formatted(EmbeddingRepository.NEXT_CHANGE))
                .param("model", to.model())
                .param("now", toDb(now))
                .param("ids", ids)
                .param("to", to.key())
                .update();
    }

    /** Drops up to {@code limit} vectors kept from before the last switch; returns how many. */
    int dropPrevious(int limit, Instant now) {
        List<UUID> ids = jdbc.sql("SELECT qa_pair_id FROM qa_embedding WHERE previous_setting IS NOT NULL LIMIT :limit")
                .param("limit", limit)
                .query(UUID.class)
                .list();
        if (ids.isEmpty()) {
            return 0;
        }
        horizon.enlist();
        return jdbc.sql("""
                UPDATE qa_embedding
                   SET previous_vector = NULL, previous_setting = NULL, previous_text_hash = NULL,
                       previous_dimensions = NULL, updated_at = :now, change_seq = %s
                 WHERE qa_pair_id IN (:ids)
                   AND previous_setting IS NOT NULL""".formatted(EmbeddingRepository.NEXT_CHANGE))
                .param("now", toDb(now))
                .param("ids", ids)
                .update();
    }

    void previousDropped(long id, Instant now) {
        jdbc.sql("UPDATE embedding_switch SET previous_dropped_at = :now WHERE id = :id")
                .param("now", toDb(now))
                .param("id", id)
                .update();
    }

    private static Switch row(ResultSet rs, int n) throws SQLException {
        return new Switch(
                rs.getLong("id"),
                rs.getString("from_setting"),
                rs.getString("to_setting"),
                State.valueOf(rs.getString("state")),
                rs.getLong("pairs"),
                rs.getLong("done"),
                rs.getLong("tokens"),
                rs.getBigDecimal("estimated_cost_usd"),
                fromDb(rs, "cursor_created_at"),
                rs.getObject("cursor_id", UUID.class),
                fromDb(rs, "started_at"),
                fromDb(rs, "approved_at"),
                fromDb(rs, "finished_at"),
                fromDb(rs, "previous_dropped_at"));
    }
}
