package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.qaembeddings.support.TestDatabase.rowsWithStatus;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.ServiceProcess;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A service process is killed with SIGKILL after the provider answered its batch and before the
 * vectors were written: the test holds a lock that makes the write wait, sees the process blocked
 * on it in pg_stat_activity, kills it, and only then lets go. A second process (the restart) finds
 * the batch's rows PROCESSING, takes them over when their lease runs out, and embeds them again.
 */
class CrashMidBatchIT extends ProcessTests {

    static final int PAIRS = 30;

    private static Map<String, String> settings(String name) {
        Map<String, String> p = ProcessTests.service(name, OPENAI);
        p.put("embedding.lease", "3s");
        p.put("embedding.batch-size", "10");
        p.put("embedding.worker-threads", "1");
        return p;
    }

    @Test
    void killedBetweenAnswerAndWriteLosesNothing() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        OPENAI.behave(request -> {
            if (OPENAI.requests().size() == 1) {
                try {
                    answer.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return OPENAI.vectors(request);
        });
        ProcessTests.migrate();
        JdbcClient jdbc = ProcessTests.jdbc();
        ProcessTests.insertPendingPairs(jdbc, "Crash", PAIRS);
        List<String> ids = jdbc.sql("SELECT id FROM qa_pair ORDER BY question")
                .query(String.class)
                .list();
        List<String> inFlight;
        try (ServiceProcess first = ServiceProcess.start("crash-first", settings("crash-first"))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !OPENAI.requests().isEmpty());
            inFlight = OPENAI.requests().get(0).inputs();

            try (Connection lock = ProcessTests.connect("it-lock");
                    Statement s = lock.createStatement()) {
                lock.setAutoCommit(false);
                s.execute("LOCK TABLE qa_embedding IN SHARE MODE"); // writes to it wait; reads do not
                answer.countDown();
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> jdbc.sql("""
                        SELECT COUNT(*) FROM pg_stat_activity
                         WHERE application_name = 'crash-first'
                           AND wait_event_type = 'Lock'""").query(Long.class).single() > 0);
                first.kill();
                jdbc.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                + "WHERE application_name = 'crash-first'")
                        .query()
                        .listOfRows();
                lock.rollback();
            }
        }
        assertThat(OPENAI.requests())
                .as("the first process made exactly the one call, and it was answered")
                .hasSize(1);
        long processing = rowsWithStatus(jdbc, "PROCESSING");
        assertThat(inFlight).as("a whole batch was in flight").hasSize(10);
        assertThat(processing)
                .as("the killed batch is left PROCESSING under its lease")
                .isEqualTo(inFlight.size());
        assertThat(rowsWithStatus(jdbc, "COMPLETED")).isZero();

        // three pairs of the killed batch change after the crash: their final vectors must follow
        List<String> changed = jdbc.sql("""
                SELECT qa_pair_id FROM qa_embedding WHERE status = 'PROCESSING'
                 ORDER BY qa_pair_id LIMIT 3""").query(String.class).list();
        try (ServiceProcess restarted = ServiceProcess.start("crash-second", settings("crash-second"))) {
            Api api = restarted.api();
            for (String id : changed) {
                assertThat(api.put("/api/qa-pairs/" + id, Api.pairJson("Changed after the crash?", "new answer " + id))
                                .status())
                        .isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> ids.stream()
                            .allMatch(id -> Pipeline.embeddedForCurrentText(api, id, ProcessTests.DIMENSIONS)));
        }
        long lost = PAIRS - rowsWithStatus(jdbc, "COMPLETED");
        long left = rowsWithStatus(jdbc, "PROCESSING");
        long rows =
                jdbc.sql("SELECT COUNT(*) FROM qa_embedding").query(Long.class).single();
        assertThat(lost).isZero();
        assertThat(left).isZero();
        assertThat(rows).isEqualTo(PAIRS);
    }
}
