package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.ServiceProcess;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;

/**
 * A 201 means the pair survives SIGKILL of the process. Clients stream saves at a service process;
 * once enough have been acknowledged the process is killed in the middle of the stream, a new one
 * starts on the same data, and every pair that was answered 201 must be there and end COMPLETED.
 * Run on the embedded default (an H2 file under ./data of a directory of its own, the in-process
 * model, nothing configured but a short lease, so that the batch the kill leaves PROCESSING is
 * taken over soon) and on PostgreSQL.
 */
class AcknowledgedSavesSurviveKillIT extends ProcessTests {

    private static final int CLIENTS = 4;
    private static final int ACKNOWLEDGED_BEFORE_KILL = 300;

    @Test
    void embeddedDefaultKeepsEveryAcknowledgedSaveThroughSigkill() throws Exception {
        Path directory = Path.of("target/it-work/kill-embedded").toAbsolutePath();
        FileSystemUtils.deleteRecursively(directory);
        Files.createDirectories(directory);
        killMidStreamAndRestart("kill-embedded", Map.of(), directory);
        assertThat(directory.resolve("data/qa-embeddings.mv.db"))
                .as("the embedded default's file")
                .exists();
    }

    @Test
    void postgresKeepsEveryAcknowledgedSaveThroughSigkill() throws Exception {
        Map<String, String> postgres = new LinkedHashMap<>();
        postgres.put("spring.datasource.url", url("kill-postgres"));
        postgres.put("spring.datasource.username", user());
        postgres.put("spring.datasource.password", System.getProperty("test.pg.password", ""));
        postgres.put("spring.flyway.schemas", SCHEMA);
        killMidStreamAndRestart("kill-postgres", postgres, Path.of(""));
    }

    private void killMidStreamAndRestart(String name, Map<String, String> database, Path directory) throws Exception {
        Map<String, String> properties = new LinkedHashMap<>(database);
        properties.put("security.rate-limit.writes-per-second", "0");
        // the batch the kill interrupts waits out its lease before the new process takes it over
        properties.put("embedding.lease", "5s");
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        int attempted;
        try (ServiceProcess first = ServiceProcess.start(name + "-first", properties, directory)) {
            Api api = first.api();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean killed = new AtomicBoolean();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<Integer>> sent = new ArrayList<>();
            try {
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    sent.add(clients.submit(() -> stream(api, client, acknowledged, stop, killed)));
                }
                await().atMost(Duration.ofSeconds(120)).until(() -> acknowledged.size() >= ACKNOWLEDGED_BEFORE_KILL);
                killed.set(true);
                first.kill();
                stop.set(true);
                attempted = 0;
                for (Future<Integer> f : sent) {
                    attempted += f.get();
                }
            } finally {
                clients.shutdownNow();
            }
        }
        int answered = acknowledged.size();
        assertThat(attempted)
                .as("saves were still being sent when the process was killed")
                .isGreaterThan(answered);

        try (ServiceProcess second = ServiceProcess.start(name + "-second", properties, directory)) {
            Api api = second.api();
            List<String> missing = acknowledged.stream()
                    .filter(id -> api.get("/api/qa-pairs/" + id).status() != 200)
                    .toList();
            assertThat(missing)
                    .as("pairs answered 201 before the kill, gone after the restart")
                    .isEmpty();
            long stored =
                    api.get("/api/qa-pairs?size=1").json().path("totalItems").asLong();
            assertThat(stored)
                    .as("no pair is stored twice, none appears from nowhere")
                    .isBetween((long) answered, (long) attempted);
            await().atMost(Duration.ofSeconds(300))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        JsonNode health = api.get("/api/embeddings/health").json();
                        return health.path("completedCount").asLong() == stored
                                && health.path("pendingCount").asLong() == 0;
                    });
            JsonNode health = api.get("/api/embeddings/health").json();
            assertThat(health.path("failedCount").asLong()).isZero();
            for (String id : acknowledged) {
                assertThat(api.get("/api/qa-pairs/" + id)
                                .json()
                                .path("embedding")
                                .path("status")
                                .asString())
                        .as(id)
                        .isEqualTo("COMPLETED");
            }
        }
    }

    /**
     * Saves until stopped or the killed service stops answering; returns how many saves it sent. A
     * save lost before the kill fails the test: only the kill may cut one off.
     */
    private static int stream(Api api, int client, Set<String> acknowledged, AtomicBoolean stop, AtomicBoolean killed) {
        int sent = 0;
        while (!stop.get()) {
            sent++;
            Api.Response response;
            try {
                response = api.post(
                        "/api/qa-pairs",
                        Api.pairJson(
                                "Client " + client + " question " + sent + "?",
                                "Answer " + sent + " of client " + client + "."));
            } catch (IllegalStateException connectionLost) {
                if (!killed.get()) {
                    throw connectionLost;
                }
                return sent;
            }
            if (response.status() != 201) {
                throw new AssertionError("save answered " + response.status() + ": " + response.body());
            }
            acknowledged.add(response.json().path("id").asString());
        }
        return sent;
    }
}
