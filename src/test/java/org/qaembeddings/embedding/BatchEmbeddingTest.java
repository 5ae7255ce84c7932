package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.system.BadRequestException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code batchGenerate} and {@code POST /api/embeddings/batch}. The background worker
 * is off, so only the batch call embeds anything; the provider is the OpenAI stand-in on loopback.
 */
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.openai.max-input-tokens=200",
            "embedding.openai.max-request-tokens=2000"
        })
class BatchEmbeddingTest extends DatabaseTest {

    private static final EmbeddingText TEXT = new EmbeddingText(EmbeddingText.DEFAULT_TEMPLATE);
    private static final String OPENAI_BAD_INPUT = """
            {"error": {"message": "'$.input' is invalid.", "type": "invalid_request_error", \
            "param": null, "code": null}}""";

    @Autowired
    EmbeddingService embeddings;

    private List<UUID> createPairs(int n, String prefix) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(UUID.fromString(api.create(prefix + " " + i + "?", "Answer " + i + ".")));
        }
        return ids;
    }

    private JsonNode embedding(UUID id) {
        return api.get("/api/qa-pairs/" + id + "/embedding").json();
    }

    private static String batchJson(List<?> ids) {
        return "{\"qaPairIds\": ["
                + String.join(",", ids.stream().map(id -> "\"" + id + "\"").toList()) + "]}";
    }

    private static float[] floats(JsonNode vector) {
        float[] out = new float[vector.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vector.get(i).floatValue();
        }
        return out;
    }

    @Test
    void batchGenerate() {
        List<UUID> ids = createPairs(3, "What is batch");
        assertThat(embedding(ids.get(0)).path("status").asString()).isEqualTo("PENDING");

        Api.Response response = api.post("/api/embeddings/batch", batchJson(ids));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("successful").asInt()).isEqualTo(3);
        assertThat(response.json().path("failed").asInt()).isZero();
        assertThat(response.json().path("errors")).isEmpty();
        assertThat(OPENAI.requests())
                .as("one provider call for the whole batch")
                .hasSize(1);
        for (int i = 0; i < 3; i++) {
            JsonNode e = embedding(ids.get(i));
            assertThat(e.path("status").asString()).isEqualTo("COMPLETED");
            assertThat(floats(e.path("vector")))
                    .containsExactly(FakeOpenAiServer.vectorFor(
                            TEXT.render("What is batch " + i + "?", "Answer " + i + "."), DIMENSIONS));
        }
    }

    @Test
    void batchGenerateRespectsLimit() {
        List<UUID> tooMany = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            tooMany.add(UUID.randomUUID());
        }

        Api.Response response = api.post("/api/embeddings/batch", batchJson(tooMany));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().path("detail").asString()).contains("at most 100 qaPairIds");
        assertThat(response.json().path("type").asString()).isEqualTo("about:blank");
        assertThat(response.json().path("title").asString()).isEqualTo("Bad Request");
        assertThatThrownBy(() -> embeddings.batchGenerate(tooMany)).isInstanceOf(BadRequestException.class);
        assertThat(OPENAI.requests()).isEmpty();

        // exactly the limit goes through, in one provider call
        List<UUID> hundred = createPairs(100, "Limit");
        BatchResult result = embeddings.batchGenerate(hundred);
        assertThat(result.successful()).isEqualTo(100);
        assertThat(OPENAI.requests()).hasSize(1);
        assertThat(OPENAI.requests().get(0).inputs()).hasSize(100);
    }

    @Test
    void batchGeneratePartialFailure() {
        List<UUID> ids = createPairs(10, "Good question");
        UUID poisonA = UUID.fromString(api.create("POISON one?", "rejected by the provider"));
        UUID poisonB = UUID.fromString(api.create("POISON two?", "rejected too"));
        ids.add(3, poisonA);
        ids.add(8, poisonB);
        OPENAI.behave(request -> request.inputs().stream().anyMatch(s -> s.contains("POISON"))
                ? FakeOpenAiServer.Reply.json(400, OPENAI_BAD_INPUT)
                : OPENAI.vectors(request));

        BatchResult result = embeddings.batchGenerate(ids);

        assertThat(result.successful()).isEqualTo(10);
        assertThat(result.failed()).isEqualTo(2);
        assertThat(result.errors()).hasSize(2);
        assertThat(result.errors().get(0)).startsWith(poisonA + ": HTTP 400").contains("is invalid");
        assertThat(result.errors().get(1)).startsWith(poisonB + ": HTTP 400");
        for (UUID id : ids) {
            boolean poison = id.equals(poisonA) || id.equals(poisonB);
            JsonNode e = embedding(id);
            assertThat(e.path("status").asString()).isEqualTo(poison ? "FAILED" : "COMPLETED");
            if (poison) {
                assertThat(e.path("lastError").asString()).contains("HTTP 400");
            }
        }
        // halving isolates k bad pairs among n in at most 1 + 2k·log2(n) calls, and no good text is embedded twice
        assertThat(OPENAI.requests().size()).isBetween(3, 1 + 2 * 2 * 4);
        List<String> embeddedGoodInputs = OPENAI.requests().stream()
                .filter(r -> r.inputs().stream().noneMatch(s -> s.contains("POISON")))
                .flatMap(r -> r.inputs().stream())
                .toList();
        assertThat(embeddedGoodInputs).hasSize(10).doesNotHaveDuplicates();
        String kind = jdbc.sql("SELECT error_kind FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", poisonA)
                .query(String.class)
                .single();
        assertThat(kind).isEqualTo("PERMANENT");
    }

    @Test
    void batchGenerateReturnsStats() {
        List<UUID> ids = createPairs(3, "Stats");
        embeddings.batchGenerate(List.of(ids.get(0)));
        OPENAI.reset();
        UUID unknown = UUID.randomUUID();

        // already embedded, two new ones (one named twice), and one nobody knows
        Api.Response response = api.post(
                "/api/embeddings/batch", batchJson(List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(1), unknown)));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("successful").asInt()).isEqualTo(3);
        assertThat(response.json().path("failed").asInt()).isEqualTo(1);
        assertThat(response.json().path("errors").get(0).asString()).isEqualTo(unknown + ": no QA pair with this id");
        assertThat(OPENAI.allInputs())
                .as("the completed pair is not embedded again, the duplicate only once")
                .hasSize(2)
                .doesNotHaveDuplicates();
    }

    @Test
    void batchSplitsRequestsByTokenBudget() {
        String longAnswer = "word ".repeat(400); // cut to 200 tokens per input
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(UUID.fromString(api.create("Long " + i + "?", longAnswer)));
        }

        BatchResult result = embeddings.batchGenerate(ids);

        assertThat(result.successful()).isEqualTo(12);
        // 2,000 tokens per request hold ten inputs of 200
        assertThat(OPENAI.requests()).extracting(r -> r.inputs().size()).containsExactly(10, 2);
    }

    @Test
    void permanentErrorThatIsNotAboutTheInputIsNotSplit() {
        List<UUID> ids = createPairs(6, "Unauthorized");
        OPENAI.behave(request -> FakeOpenAiServer.Reply.json(
                401,
                "{\"error\": {\"message\": \"Incorrect API key provided\", \"type\": \"invalid_request_error\"}}"));

        BatchResult result = embeddings.batchGenerate(ids);

        assertThat(result.successful()).isZero();
        assertThat(result.failed()).isEqualTo(6);
        assertThat(result.errors()).isNotEmpty().allSatisfy(e -> assertThat(e).contains("HTTP 401"));
        assertThat(OPENAI.requests()).hasSize(1);
    }

    @Test
    void aBatchThatFailsAfterItBeganSaysWhatMayHaveChanged() {
        List<UUID> ids = createPairs(2, "Fails at the write");
        // the provider answers, and meanwhile the table starts refusing finished rows: the write fails
        OPENAI.behave(request -> {
            jdbc.sql("ALTER TABLE qa_embedding ADD CONSTRAINT test_no_completed CHECK (status <> 'COMPLETED')")
                    .update();
            return OPENAI.vectors(request);
        });
        try {
            Api.Response response = api.post("/api/embeddings/batch", batchJson(ids));

            Api.assertProblem(response, 500);
            assertThat(response.json().path("detail").asString())
                    .contains("after it began")
                    .contains("billed")
                    .doesNotContain("nothing was changed");
        } finally {
            jdbc.sql("ALTER TABLE qa_embedding DROP CONSTRAINT test_no_completed")
                    .update();
        }
        assertThat(jdbc.sql("SELECT COUNT(*) FROM embedding_cost")
                        .query(Long.class)
                        .single())
                .as("the call was billed")
                .isEqualTo(1);
        for (UUID id : ids) {
            JsonNode e = embedding(id);
            assertThat(e.path("status").asString()).as("handed back at once").isEqualTo("PENDING");
            assertThat(e.path("attempts").asInt()).isZero();
        }
    }

    @Test
    void batchRejectsMalformedRequests() {
        assertThat(api.post("/api/embeddings/batch", "{\"qaPairIds\": [\"not-a-uuid\"]}")
                        .status())
                .isEqualTo(400);
        // well-formed JSON that fails validation is a 422, as for QA pairs
        assertThat(api.post("/api/embeddings/batch", "{\"qaPairIds\": null}").status())
                .isEqualTo(422);
        assertThat(api.post("/api/embeddings/batch", "{\"qaPairIds\": [null]}").status())
                .isEqualTo(422);
        assertThat(api.post("/api/embeddings/batch", "{}").status()).isEqualTo(422);
        assertThat(api.post("/api/embeddings/batch", "{\"qaPairIds\": [], \"status\": \"COMPLETED\"}")
                        .status())
                .isEqualTo(400);
        Api.Response empty = api.post("/api/embeddings/batch", "{\"qaPairIds\": []}");
        assertThat(empty.status()).isEqualTo(200);
        assertThat(empty.json().path("successful").asInt()).isZero();
        assertThat(OPENAI.requests()).isEmpty();
    }
}
