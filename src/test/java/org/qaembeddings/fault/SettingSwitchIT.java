package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.ServiceProcess;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * Changes of embedding setting through real restarts of the service process: a switch killed
 * midway resumes where it stood, and a switch from the local model to a remote one and back costs
 * nothing the second time.
 */
class SettingSwitchIT extends ProcessTests {

    private static String state(Api api) {
        return api.get("/api/embeddings/reembed").json().path("state").asString();
    }

    @Test
    void aSwitchKilledMidwayResumesAfterTheRestartAndEmbedsEachPairOnce() throws Exception {
        int pairs = 400;
        ProcessTests.migrate();
        JdbcClient jdbc = ProcessTests.jdbc();
        ProcessTests.insertPendingPairs(jdbc, "Switch", pairs);
        try (ServiceProcess first =
                ServiceProcess.start("switch-first", ProcessTests.service("switch-first", OPENAI))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE status = 'COMPLETED'")
                                    .query(Long.class)
                                    .single()
                            == pairs);
            first.terminate();
            assertThat(first.awaitExit(Duration.ofSeconds(30))).isTrue();
        }
        OPENAI.reset();
        // slow enough that the kill lands midway
        OPENAI.behave(request -> OPENAI.vectors(request).after(Duration.ofMillis(300)));
        Map<String, String> larger = ProcessTests.service("switch-second", OPENAI);
        larger.put("embedding.openai.model", "fake-large");
        larger.put("embedding.lease", "3s");
        try (ServiceProcess second = ServiceProcess.start("switch-second", larger)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> second.api()
                                    .get("/api/embeddings/reembed")
                                    .json()
                                    .path("done")
                                    .asLong()
                            >= 100);
            second.kill();
        }
        long sentBeforeTheKill = OPENAI.allInputs().size();
        assertThat(sentBeforeTheKill).isLessThan(pairs);
        OPENAI.behave(OPENAI::vectors);

        Map<String, String> restarted = ProcessTests.service("switch-third", OPENAI);
        restarted.put("embedding.openai.model", "fake-large");
        restarted.put("embedding.lease", "3s");
        try (ServiceProcess third = ServiceProcess.start("switch-third", restarted)) {
            Api api = third.api();
            await().atMost(Duration.ofSeconds(90)).until(() -> state(api), "DONE"::equals);
            JsonNode progress = api.get("/api/embeddings/reembed").json();
            assertThat(progress.path("pairs").asLong())
                    .as("the switch resumed, not begun again")
                    .isEqualTo(pairs);
            assertThat(progress.path("to").path("model").asString()).isEqualTo("fake-large");
        }
        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding e "
                                + "JOIN embedding_setting s ON s.setting_key = e.vector_setting"
                                + " WHERE e.status = 'COMPLETED' AND s.model = 'fake-large'")
                        .query(Long.class)
                        .single())
                .isEqualTo(pairs);
        assertThat(OPENAI.requests()).allSatisfy(r -> assertThat(r.model()).isEqualTo("fake-large"));
        List<String> inputs = OPENAI.allInputs();
        assertThat(new HashSet<>(inputs)).as("every pair re-embedded").hasSize(pairs);
        // only the batches in flight at the kill (two worker threads, 100 pairs each at most) are sent twice
        assertThat(inputs.size()).isLessThanOrEqualTo(pairs + 200);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM embedding_switch")
                        .query(Long.class)
                        .single())
                .as("the switch of the first start, and the one switch to the new model")
                .isEqualTo(2);
    }

    @Test
    void fromTheLocalModelToARemoteOneAndBackCostsNothingTheSecondTime() throws IOException, InterruptedException {
        Map<String, String> local = ProcessTests.service("switch-local", OPENAI);
        local.put("embedding.provider", "local");
        List<String> ids = new ArrayList<>();
        List<JsonNode> localVectors = new ArrayList<>();
        try (ServiceProcess node = ServiceProcess.start("switch-local", local)) {
            Api api = node.api();
            for (int i = 0; i < 5; i++) {
                ids.add(api.create("How do I reset password number " + i + "?", "Use the link on the sign-in page."));
            }
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> ids.stream()
                            .allMatch(id -> "COMPLETED"
                                    .equals(api.get("/api/qa-pairs/" + id + "/embedding")
                                            .json()
                                            .path("status")
                                            .asString())));
            for (String id : ids) {
                localVectors.add(
                        api.get("/api/qa-pairs/" + id + "/embedding").json().path("vector"));
            }
            node.terminate();
            assertThat(node.awaitExit(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(OPENAI.requests()).isEmpty();

        try (ServiceProcess node =
                ServiceProcess.start("switch-remote", ProcessTests.service("switch-remote", OPENAI))) {
            Api api = node.api();
            await().atMost(Duration.ofSeconds(60)).until(() -> state(api), "DONE"::equals);
            for (String id : ids) {
                JsonNode embedding =
                        api.get("/api/qa-pairs/" + id + "/embedding").json();
                assertThat(embedding.path("setting").path("provider").asString())
                        .isEqualTo("openai");
                assertThat(embedding.path("vector").size()).isEqualTo(DIMENSIONS);
            }
            node.terminate();
            assertThat(node.awaitExit(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(OPENAI.allInputs()).hasSize(ids.size());
        OPENAI.reset();

        try (ServiceProcess node = ServiceProcess.start("switch-back", local)) {
            Api api = node.api();
            await().atMost(Duration.ofSeconds(60)).until(() -> state(api), "DONE"::equals);
            JsonNode progress = api.get("/api/embeddings/reembed").json();
            assertThat(progress.path("tokens").asLong())
                    .as("nothing to send: the kept vectors come back")
                    .isZero();
            assertThat(progress.path("done").asLong()).isEqualTo(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                JsonNode embedding =
                        api.get("/api/qa-pairs/" + ids.get(i) + "/embedding").json();
                assertThat(embedding.path("setting").path("provider").asString())
                        .isEqualTo("local");
                assertThat(embedding.path("current").asBoolean()).isTrue();
                assertThat(embedding.path("vector"))
                        .as("the very vector the local model made first")
                        .isEqualTo(localVectors.get(i));
            }
        }
        assertThat(OPENAI.requests()).as("the remote model is not called").isEmpty();
    }
}
