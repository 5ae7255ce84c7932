package org.qaembeddings.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Saving a pair gets it embedded in the background, and nothing more (the specification's
 * auto-generation). The provider stand-in may hold a call for as long as a test needs, so the
 * call's timeout is long: a stalled machine must not time it out first.
 */
@TestPropertySource(properties = "embedding.openai.timeout=60s")
class QaEmbeddingFlowTest extends DatabaseTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private JsonNode awaitLastError(String id, String text) {
        return await().atMost(WAIT)
                .until(
                        () -> api.get("/api/qa-pairs/" + id + "/embedding").json(),
                        e -> e.path("lastError").asString("").contains(text));
    }

    private JsonNode awaitStatus(String id, String status) {
        return await().atMost(WAIT)
                .until(
                        () -> api.get("/api/qa-pairs/" + id + "/embedding").json(),
                        e -> status.equals(e.path("status").asString()));
    }

    private static float[] floats(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).floatValue();
        }
        return v;
    }

    private static String text(String question, String answer) {
        return "Question: " + question + "\nAnswer: " + answer;
    }

    @Test
    void createQaTriggersEmbedding() {
        Api.Response created = api.post("/api/qa-pairs", Api.pairJson("What is a lease?", "A time-bound claim."));

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("embedding").path("status").asString()).isEqualTo("PENDING");
        String id = created.json().path("id").asString();

        JsonNode embedding = awaitStatus(id, "COMPLETED");
        assertThat(embedding.path("dimensions").asInt()).isEqualTo(DIMENSIONS);
        assertThat(embedding.path("model").asString()).isEqualTo("fake-embedding");
        assertThat(embedding.path("attempts").asInt()).isEqualTo(1);
        assertThat(floats(embedding.path("vector")))
                .containsExactly(
                        FakeOpenAiServer.vectorFor(text("What is a lease?", "A time-bound claim."), DIMENSIONS));
        assertThat(OPENAI.allInputs()).containsOnlyOnce(text("What is a lease?", "A time-bound claim."));
        assertThat(OPENAI.requests().get(0).authorization()).isEqualTo("Bearer sk-test-secret-key-0123456789");
    }

    @Test
    void updateQaTriggersRegeneration() {
        String id = api.create("Old question?", "Old answer.");
        awaitStatus(id, "COMPLETED");

        Api.Response updated = api.put("/api/qa-pairs/" + id, Api.pairJson("New question?", "New answer."));

        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().path("embedding").path("status").asString()).isEqualTo("PENDING");
        JsonNode embedding = awaitStatus(id, "COMPLETED");
        assertThat(floats(embedding.path("vector")))
                .containsExactly(FakeOpenAiServer.vectorFor(text("New question?", "New answer."), DIMENSIONS));
    }

    @Test
    void embeddingFailureDoesntBlockQa() {
        OPENAI.behave(request -> FakeOpenAiServer.Reply.json(500, "{\"error\":{\"message\":\"model overloaded\"}}"));

        Api.Response created = api.post("/api/qa-pairs", Api.pairJson("Does a failure block saves?", "No."));

        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("id").asString();
        // a provider that fails every call is down: the pair waits, uncharged, with the provider's words
        JsonNode embedding = awaitLastError(id, "HTTP 500");
        assertThat(embedding.path("status").asString()).isEqualTo("PENDING");
        assertThat(embedding.path("attempts").asInt()).isZero();
        assertThat(embedding.path("lastError").asString()).contains("model overloaded");
        assertThat(embedding.has("vector")).isFalse();
        Api.Response pair = api.get("/api/qa-pairs/" + id);
        assertThat(pair.status()).isEqualTo(200);
        assertThat(pair.json().path("question").asString()).isEqualTo("Does a failure block saves?");
        assertThat(api.put("/api/qa-pairs/" + id, Api.pairJson("Still editable?", "Yes."))
                        .status())
                .isEqualTo(200);
    }

    @Test
    void saveReturnsWhileProviderIsStillAnswering() throws Exception {
        CountDownLatch providerHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OPENAI.behave(request -> {
            providerHeld.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return FakeOpenAiServer.Reply.json(503, "{}");
        });
        String first = api.create("Provider stuck?", "Saves do not wait.");
        assertThat(providerHeld.await(20, TimeUnit.SECONDS)).isTrue();

        // the provider holds the worker's request; saves and reads go on regardless
        Api.Response second = api.post("/api/qa-pairs", Api.pairJson("Another save?", "Also fine."));
        assertThat(second.status()).isEqualTo(201);
        assertThat(api.get("/api/qa-pairs/" + first)
                        .json()
                        .path("embedding")
                        .path("status")
                        .asString())
                .isEqualTo("PROCESSING");

        release.countDown();
        assertThat(awaitLastError(first, "HTTP 503").path("status").asString()).isEqualTo("PENDING");
    }

    @Test
    void unchangedTextDoesNotReEmbed() {
        String id = api.create("Same question?", "Same answer.");
        JsonNode before = awaitStatus(id, "COMPLETED");
        int requests = OPENAI.requests().size();

        Api.Response updated = api.put("/api/qa-pairs/" + id, Api.pairJson("Same question?", "Same answer."));

        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().path("embedding").path("status").asString()).isEqualTo("COMPLETED");
        JsonNode after = api.get("/api/qa-pairs/" + id + "/embedding").json();
        assertThat(after.path("updatedAt").asString())
                .isEqualTo(before.path("updatedAt").asString());
        assertThat(after.path("vector")).isEqualTo(before.path("vector"));
        // a new pair after the no-op update is embedded alone: the no-op added nothing to the queue
        String other = api.create("Another question?", "Another answer.");
        awaitStatus(other, "COMPLETED");
        assertThat(OPENAI.requests()).hasSize(requests + 1);
        assertThat(OPENAI.requests().get(requests).inputs())
                .containsExactly(text("Another question?", "Another answer."));
    }

    @Test
    void deleteRemovesPairAndEmbedding() {
        String id = api.create("Delete me?", "Gone.");
        awaitStatus(id, "COMPLETED");

        assertThat(api.delete("/api/qa-pairs/" + id).status()).isEqualTo(204);

        assertThat(api.get("/api/qa-pairs/" + id).status()).isEqualTo(404);
        assertThat(api.get("/api/qa-pairs/" + id + "/embedding").status()).isEqualTo(404);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding")
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(api.delete("/api/qa-pairs/" + id).status()).isEqualTo(404);
    }

    @Test
    void manyPairsAreEmbeddedInBatches() {
        List<String> ids = IntStream.range(0, 250)
                .mapToObj(i -> api.create("Question " + i + "?", "Answer " + i + "."))
                .toList();

        await().atMost(WAIT).until(() -> rowsWithStatus("COMPLETED") == ids.size());
        assertThat(OPENAI.requests())
                .allSatisfy(r -> assertThat(r.inputs().size()).isBetween(1, 100))
                .anySatisfy(r ->
                        assertThat(r.inputs().size()).as("a batch of several").isGreaterThan(1));
        assertThat(OPENAI.allInputs()).doesNotHaveDuplicates().hasSize(ids.size());
    }
}
