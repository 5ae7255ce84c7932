package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.qaembeddings.support.TestDatabase.rowsWithStatus;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.support.ServiceProcess;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Three service processes on one PostgreSQL and 10,000 pending pairs. The provider holds every call
 * until all three are up, so that they really compete; then each pair must be embedded, sent to
 * the provider in exactly one call (no lease runs out here), and written exactly once, for its
 * current text. Writes are counted by a trigger the test puts on the table.
 */
class ManyWorkersIT extends ProcessTests {

    static final int PAIRS = 10_000;
    static final int BATCH = 100;
    static final int NODES = 3;

    @Test
    void threeNodesEmbedEveryPairOnceAndWriteItOnce() throws Exception {
        ProcessTests.migrate();
        JdbcClient jdbc = ProcessTests.jdbc();
        ProcessTests.insertPendingPairs(jdbc, "Worker", PAIRS);
        jdbc.sql("CREATE TABLE it_write_log (qa_pair_id UUID, text_hash CHAR(64))")
                .update();
        jdbc.sql("""
                CREATE FUNCTION it_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO it_write_log VALUES (NEW.qa_pair_id, NEW.text_hash); RETURN NEW; END $$""").update();
        jdbc.sql("""
                CREATE TRIGGER it_log_write AFTER UPDATE ON qa_embedding FOR EACH ROW
                  WHEN (NEW.status = 'COMPLETED' AND NEW.vector IS DISTINCT FROM OLD.vector)
                  EXECUTE FUNCTION it_log_write()""").update();

        CountDownLatch allUp = new CountDownLatch(1);
        OPENAI.behave(request -> {
            try {
                allUp.await(180, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return OPENAI.vectors(request);
        });
        List<ServiceProcess> nodes = new ArrayList<>();
        ExecutorService starter = Executors.newFixedThreadPool(NODES);
        try {
            List<Future<ServiceProcess>> starting = new ArrayList<>();
            for (int i = 1; i <= NODES; i++) {
                String name = "node-" + i;
                Map<String, String> settings = ProcessTests.service(name, OPENAI);
                settings.put("embedding.batch-size", Integer.toString(BATCH));
                settings.put("embedding.lease", "5m");
                starting.add(starter.submit(() -> ServiceProcess.start(name, settings)));
            }
            for (Future<ServiceProcess> f : starting) {
                nodes.add(f.get());
            }
            allUp.countDown();
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> rowsWithStatus(jdbc, "COMPLETED") == PAIRS);
        } finally {
            allUp.countDown();
            starter.shutdownNow();
            for (ServiceProcess node : nodes) {
                node.close();
            }
        }

        List<String> inputs = OPENAI.allInputs();
        Map<String, Integer> callsByNode = new TreeMap<>();
        OPENAI.requests()
                .forEach(r ->
                        callsByNode.merge(r.authorization().replaceAll(".*sk-it-|-0123456789", ""), 1, Integer::sum));
        long writes =
                jdbc.sql("SELECT COUNT(*) FROM it_write_log").query(Long.class).single();
        long pairsWritten = jdbc.sql("SELECT COUNT(DISTINCT qa_pair_id) FROM it_write_log")
                .query(Long.class)
                .single();
        long stale = jdbc.sql("""
                SELECT COUNT(*) FROM it_write_log w JOIN qa_embedding e ON e.qa_pair_id = w.qa_pair_id
                 WHERE w.text_hash <> e.text_hash""").query(Long.class).single();
        int wrongVectors = 0;
        for (Map<String, Object> row : jdbc.sql("""
                SELECT p.question, p.answer, e.vector
                  FROM qa_pair p JOIN qa_embedding e ON e.qa_pair_id = p.id""").query().listOfRows()) {
            float[] expected = FakeOpenAiServer.vectorFor(
                    Pipeline.rendered((String) row.get("question"), (String) row.get("answer")),
                    ProcessTests.DIMENSIONS);
            if (!Arrays.equals(expected, floats((byte[]) row.get("vector")))) {
                wrongVectors++;
            }
        }
        assertThat(callsByNode).as("every node took part").hasSize(NODES);
        assertThat(OPENAI.requests()).hasSize(PAIRS / BATCH);
        assertThat(inputs).hasSize(PAIRS).doesNotHaveDuplicates();
        assertThat(writes).as("one write per pair").isEqualTo(PAIRS);
        assertThat(pairsWritten).isEqualTo(PAIRS);
        assertThat(stale).isZero();
        assertThat(wrongVectors).isZero();
    }

    /** float32 little-endian, as the service stores vectors. */
    private static float[] floats(byte[] bytes) {
        FloatBuffer buffer =
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }
}
