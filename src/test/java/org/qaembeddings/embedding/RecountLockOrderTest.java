package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.TestDatabase;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The start-up recount locks the count rows in the order every transaction that moves counts
 * takes them, so a node starting while another node's worker moves rows waits instead of
 * deadlocking. PostgreSQL only: it is where several nodes share the counts.
 */
@TestPropertySource(properties = "embedding.worker-enabled=false")
class RecountLockOrderTest extends DatabaseTest {

    @Autowired
    EmbeddingRepository repository;

    @Autowired
    EmbeddingCounts counts;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    Environment environment;

    @Test
    void aRecountAndAConcurrentMoveOfCountsNeverDeadlock() throws Exception {
        assumeTrue(TestDatabase.isPostgres(), "several nodes share one database only on PostgreSQL");
        // the PENDING rows' newest versions now lie last in the table, so a scan in table order
        // would lock every other status before them
        jdbc.sql("UPDATE qa_embedding_count SET n = n WHERE status = 'PENDING'").update();
        try (Connection other = DriverManager.getConnection(
                        environment.getProperty("spring.datasource.url"),
                        environment.getProperty("spring.datasource.username"),
                        environment.getProperty("spring.datasource.password"));
                Statement move = other.createStatement()) {
            other.setAutoCommit(false);
            move.execute("SET application_name = 'other-node'");
            move.execute("SET lock_timeout = '20s'");
            // another node's worker moves one row: PENDING first, then PROCESSING, as move() does
            move.executeUpdate("UPDATE qa_embedding_count SET n = n - 1 WHERE status = 'PENDING' AND slot = 0");

            CompletableFuture<Map<EmbeddingStatus, Long>> recount =
                    CompletableFuture.supplyAsync(() -> transactions.execute(tx -> counts.recount()));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> jdbc.sql("""
                    SELECT COUNT(*) FROM pg_stat_activity
                     WHERE wait_event_type = 'Lock'
                       AND query LIKE 'SELECT n FROM qa_embedding_count%'""").query(Long.class).single() == 1);

            move.executeUpdate("UPDATE qa_embedding_count SET n = n + 1 WHERE status = 'PROCESSING' AND slot = 0");
            other.commit();
            assertThat(recount.get(30, TimeUnit.SECONDS))
                    .as("the recount finished, after the move, without a deadlock")
                    .isNotNull();
        }
        assertThat(jdbc.sql("SELECT SUM(n) FROM qa_embedding_count")
                        .query(Long.class)
                        .single())
                .as("the recount set the counts from the rows (none), the move's counts came before it")
                .isZero();
    }
}
