package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.test.context.TestPropertySource;

/**
 * Races: 1,200 updates from four clients to 100 pairs while two worker threads embed them, with a
 * provider slow enough (0-15 ms) that many updates land while their pair's call is in flight. At
 * the end the vector of every pair is the vector of its final text: the compare-and-set write
 * never lets an answer for an older text land.
 */
@TestPropertySource(
        properties = {
            "embedding.poll-interval=20ms",
            "embedding.worker-threads=2",
            "embedding.batch-size=20",
            "security.rate-limit.writes-per-second=0"
        })
class UpdateRaceTest extends DatabaseTest {

    static final int PAIRS = 100;
    static final int CLIENTS = 4;
    static final int UPDATES_PER_CLIENT = 300;

    @Test
    void concurrentUpdatesEndWithTheVectorOfTheFinalText() throws Exception {
        Random delays = new Random(7);
        AtomicInteger overtaken = new AtomicInteger();
        OPENAI.behave(request -> {
            FakeOpenAiServer.Reply vectors = OPENAI.vectors(request);
            try {
                Thread.sleep(delays.nextInt(16)); // the provider's answer time, in which an update may land
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // every update writes an answer of its own: one no pair holds any more was overtaken in flight
            for (String input : request.inputs()) {
                String answer = input.substring(input.indexOf("Answer: ") + "Answer: ".length());
                if (!answer.equals("first answer")
                        && jdbc.sql("SELECT COUNT(*) FROM qa_pair WHERE answer = :a")
                                        .param("a", answer)
                                        .query(Long.class)
                                        .single()
                                == 0) {
                    overtaken.incrementAndGet();
                }
            }
            return vectors;
        });
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            ids.add(api.create("Race question " + i + "?", "first answer"));
        }

        AtomicInteger updates = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    Random random = new Random(client);
                    for (int n = 0; n < UPDATES_PER_CLIENT; n++) {
                        String id = ids.get(random.nextInt(PAIRS));
                        Api.Response r = api.put(
                                "/api/qa-pairs/" + id, Api.pairJson("Race question?", "answer " + client + "-" + n));
                        assertThat(r.status()).as(r.body()).isEqualTo(200);
                        updates.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }

        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> ids.stream().allMatch(id -> Pipeline.embeddedForCurrentText(api, id, DIMENSIONS)));
        assertThat(updates.get()).isEqualTo(CLIENTS * UPDATES_PER_CLIENT);
        assertThat(overtaken.get())
                .as("some texts were replaced while their call was in flight, so the race was real")
                .isPositive();
        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE status <> 'COMPLETED'")
                        .query(Long.class)
                        .single())
                .isZero();
    }
}
