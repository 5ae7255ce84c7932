package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.qaembeddings.support.TestDatabase.rowsWithStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.ServiceProcess;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * SIGTERM while a batch is at the provider: a call that answers within the 10 s the scheduler
 * waits is finished and written; one that would not is abandoned and its rows handed back
 * (PENDING, no attempt charged) before the process exits. Either way nothing is left PROCESSING
 * and a later node embeds every pair.
 */
class GracefulShutdownIT extends ProcessTests {

    static final int PAIRS = 20;
    static final Duration STOP_LIMIT = Duration.ofSeconds(10);

    private static Map<String, String> settings(String name) {
        Map<String, String> p = ProcessTests.service(name, OPENAI);
        p.put("embedding.batch-size", "10");
        p.put("embedding.worker-threads", "1");
        return p;
    }

    /**
     * Starts a node on a backlog of pairs, waits for its first call, sends SIGTERM; returns seconds
     * until the process ended.
     */
    private double terminateDuringCall(String name, List<String> ids) throws Exception {
        ProcessTests.migrate();
        JdbcClient jdbc = ProcessTests.jdbc();
        ProcessTests.insertPendingPairs(jdbc, "Shutdown", PAIRS);
        ids.addAll(jdbc.sql("SELECT id FROM qa_pair").query(String.class).list());
        try (ServiceProcess node = ServiceProcess.start(name, settings(name))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !OPENAI.requests().isEmpty());
            long signalled = System.nanoTime();
            node.terminate();
            assertThat(node.awaitExit(Duration.ofSeconds(30)))
                    .as("the process ended; see " + node.log())
                    .isTrue();
            return (System.nanoTime() - signalled) / 1e9;
        }
    }

    private static void allEmbeddedByANewNode(List<String> ids) throws Exception {
        OPENAI.behave(OPENAI::vectors);
        try (ServiceProcess next = ServiceProcess.start("shutdown-next", settings("shutdown-next"))) {
            Api api = next.api();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> ids.stream()
                            .allMatch(id -> Pipeline.embeddedForCurrentText(api, id, ProcessTests.DIMENSIONS)));
        }
    }

    @Test
    void batchThatAnswersInTimeIsFinishedBeforeExit() throws Exception {
        OPENAI.behave(request -> OPENAI.vectors(request).after(Duration.ofSeconds(3)));
        List<String> ids = new ArrayList<>();
        JdbcClient jdbc = ProcessTests.jdbc();

        double seconds = terminateDuringCall("shutdown-finishes", ids);

        int inFlight = OPENAI.requests().get(0).inputs().size();
        assertThat(inFlight).as("a whole batch was in flight").isEqualTo(10);
        long completed = rowsWithStatus(jdbc, "COMPLETED");
        long processing = rowsWithStatus(jdbc, "PROCESSING");
        assertThat(seconds).isLessThan(STOP_LIMIT.toSeconds());
        assertThat(completed).as("the batch in flight was finished and written").isGreaterThanOrEqualTo(inFlight);
        assertThat(processing).isZero();
        allEmbeddedByANewNode(ids);
    }

    @Test
    void batchThatWouldNotAnswerIsHandedBackBeforeExit() throws Exception {
        OPENAI.behave(request -> OPENAI.vectors(request).after(Duration.ofSeconds(45)));
        List<String> ids = new ArrayList<>();
        JdbcClient jdbc = ProcessTests.jdbc();

        double seconds = terminateDuringCall("shutdown-hands-back", ids);

        long processing = rowsWithStatus(jdbc, "PROCESSING");
        long charged = jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE attempts > 0")
                .query(Long.class)
                .single();
        assertThat(seconds)
                .as("the scheduler waits 10 s, then abandons the call: the process ends well before its answer")
                .isLessThan(40);
        assertThat(processing)
                .as("the abandoned batch was handed back, not left to its lease")
                .isZero();
        assertThat(charged).isZero();
        allEmbeddedByANewNode(ids);
    }
}
