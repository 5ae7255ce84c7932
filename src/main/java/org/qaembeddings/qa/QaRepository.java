package org.qaembeddings.qa;

import static org.qaembeddings.system.Timestamps.fromDb;
import static org.qaembeddings.system.Timestamps.toDb;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The qa_pair table. */
@Repository
class QaRepository {

    private static final RowMapper<QaPair> ROW = (rs, n) -> new QaPair(
            rs.getObject("id", UUID.class),
            rs.getString("question"),
            rs.getString("answer"),
            fromDb(rs, "created_at"),
            fromDb(rs, "updated_at"));

    private final JdbcClient jdbc;

    QaRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(QaPair pair) {
        jdbc.sql("""
                INSERT INTO qa_pair (id, question, answer, created_at, updated_at)
                VALUES (:id, :question, :answer, :createdAt, :updatedAt)""")
                .param("id", pair.id())
                .param("question", pair.question())
                .param("answer", pair.answer())
                .param("createdAt", toDb(pair.createdAt()))
                .param("updatedAt", toDb(pair.updatedAt()))
                .update();
    }

    /** Locks the row for the rest of the transaction, so that concurrent updates of one pair queue up. */
    Optional<QaPair> findForUpdate(UUID id) {
        return jdbc.sql("SELECT * FROM qa_pair WHERE id = :id FOR UPDATE")
                .param("id", id)
                .query(ROW)
                .optional();
    }

    Optional<QaPair> find(UUID id) {
        return jdbc.sql("SELECT * FROM qa_pair WHERE id = :id")
                .param("id", id)
                .query(ROW)
                .optional();
    }

    void update(QaPair pair) {
        jdbc.sql("UPDATE qa_pair SET question = :question, answer = :answer, updated_at = :updatedAt WHERE id = :id")
                .param("id", pair.id())
                .param("question", pair.question())
                .param("answer", pair.answer())
                .param("updatedAt", toDb(pair.updatedAt()))
                .update();
    }

    boolean delete(UUID id) {
        return jdbc.sql("DELETE FROM qa_pair WHERE id = :id").param("id", id).update() == 1;
    }

    List<QaPair> page(int page, int size) {
        return jdbc.sql("SELECT * FROM qa_pair ORDER BY created_at, id LIMIT :limit OFFSET :offset")
                .param("limit", size)
                .param("offset", (long) page * size)
                .query(ROW)
                .list();
    }

    long count() {
        return jdbc.sql("SELECT COUNT(*) FROM qa_pair").query(Long.class).single();
    }
}
