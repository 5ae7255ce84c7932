package org.qaembeddings.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qaembeddings.support.Api.assertProblem;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;

/** The REST contract of /api/qa-pairs, and that bad input is refused whole. */
class QaApiTest extends DatabaseTest {

    private long embeddings() {
        return jdbc.sql("SELECT COUNT(*) FROM qa_embedding").query(Long.class).single();
    }

    @Test
    void createReturnsPairWithLocation() {
        Api.Response r = api.post("/api/qa-pairs", Api.pairJson("How do refunds work?", "Within 30 days."));

        assertThat(r.status()).isEqualTo(201);
        String id = r.json().path("id").asString();
        assertThat(r.header("Location")).endsWith("/api/qa-pairs/" + id);
        assertThat(r.json().path("question").asString()).isEqualTo("How do refunds work?");
        assertThat(r.json().path("answer").asString()).isEqualTo("Within 30 days.");
        assertThat(r.json().path("createdAt").asString())
                .isEqualTo(r.json().path("updatedAt").asString());
        assertThat(r.json().path("embedding").path("status").asString()).isEqualTo("PENDING");
        assertThat(r.json().path("embedding").path("attempts").asInt()).isZero();

        Api.Response read = api.get("/api/qa-pairs/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json().path("question")).isEqualTo(r.json().path("question"));
        assertThat(read.json().path("createdAt")).isEqualTo(r.json().path("createdAt"));
    }

    @Test
    void updateChangesTextAndKeepsCreatedAt() {
        Api.Response created = api.post("/api/qa-pairs", Api.pairJson("Q1?", "A1."));
        String id = created.json().path("id").asString();

        Api.Response updated = api.put("/api/qa-pairs/" + id, Api.pairJson("Q2?", "A2."));

        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().path("question").asString()).isEqualTo("Q2?");
        assertThat(updated.json().path("createdAt")).isEqualTo(created.json().path("createdAt"));
        assertThat(api.get("/api/qa-pairs/" + id).json().path("answer").asString())
                .isEqualTo("A2.");
    }

    @Test
    void listPagesInCreationOrder() {
        for (int i = 0; i < 5; i++) {
            api.create("Question " + i + "?", "Answer " + i + ".");
        }

        Api.Response page = api.get("/api/qa-pairs?page=1&size=2");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.json().path("items")).hasSize(2);
        assertThat(page.json().path("items").get(0).path("question").asString()).isEqualTo("Question 2?");
        assertThat(page.json()
                        .path("items")
                        .get(0)
                        .path("embedding")
                        .path("status")
                        .asString())
                .isNotBlank();
        assertThat(page.json().path("totalItems").asLong()).isEqualTo(5);
        assertThat(page.json().path("totalPages").asLong()).isEqualTo(3);
        assertThat(api.get("/api/qa-pairs?page=9&size=2").json().path("items")).isEmpty();
    }

    @Test
    void pageBoundsAreEnforced() {
        assertProblem(api.get("/api/qa-pairs?size=101"), 400);
        assertProblem(api.get("/api/qa-pairs?size=0"), 400);
        assertProblem(api.get("/api/qa-pairs?page=-1"), 400);
        assertProblem(api.get("/api/qa-pairs?page=99999999999"), 400);
        assertProblem(api.get("/api/qa-pairs?size=ten"), 400);
    }

    @Test
    void blankOrOversizedTextIsRejectedWithFieldErrors() {
        Api.Response blank = api.post("/api/qa-pairs", Api.pairJson("   ", ""));
        assertProblem(blank, 422);
        assertThat(blank.json().path("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("answer", "question");

        Api.Response tooLong = api.post("/api/qa-pairs", Api.pairJson("q".repeat(QaRequest.MAX_QUESTION + 1), "a"));
        assertProblem(tooLong, 422);
        assertThat(tooLong.json().path("errors").get(0).path("field").asString())
                .isEqualTo("question");

        Api.Response control = api.post("/api/qa-pairs", Api.pairJson("nul\u0000byte?", "bell\u0007"));
        assertProblem(control, 422);

        Api.Response missing = api.post("/api/qa-pairs", "{\"question\":\"only a question?\"}");
        assertProblem(missing, 422);

        assertThat(pairs()).isZero();
        assertThat(embeddings()).isZero();
    }

    @Test
    void longestValidTextsAreAccepted() {
        Api.Response r = api.post(
                "/api/qa-pairs",
                Api.pairJson("q".repeat(QaRequest.MAX_QUESTION), "\u00e9".repeat(QaRequest.MAX_ANSWER)));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    @Test
    void malformedOrMistypedJsonIsRejected() {
        assertProblem(api.post("/api/qa-pairs", "{\"question\":"), 400);
        assertProblem(api.post("/api/qa-pairs", "[1,2]"), 400);
        assertProblem(api.post("/api/qa-pairs", ""), 400);
        Api.Response wrongType = api.post("/api/qa-pairs", "{\"question\":5,\"answer\":\"a\"}");
        assertProblem(wrongType, 400);
        assertThat(wrongType.json().path("detail").asString()).contains("question");
        assertProblem(api.post("/api/qa-pairs", "{\"question\":\"q\",\"answer\":{\"x\":1}}"), 400);
        assertThat(pairs()).isZero();
    }

    @Test
    void serverOwnedFieldsCannotBeSet() {
        for (String field : new String[] {"id", "status", "vector", "createdAt", "embedding"}) {
            Api.Response r =
                    api.post("/api/qa-pairs", "{\"question\":\"q?\",\"answer\":\"a\",\"" + field + "\":\"x\"}");
            assertProblem(r, 400);
            assertThat(r.json().path("detail").asString()).contains("'" + field + "'");
        }
        String id = api.create("q?", "a");
        assertProblem(
                api.put("/api/qa-pairs/" + id, "{\"question\":\"q?\",\"answer\":\"b\",\"id\":\"" + id + "\"}"), 400);
        assertThat(api.get("/api/qa-pairs/" + id).json().path("answer").asString())
                .isEqualTo("a");
        assertThat(pairs()).isEqualTo(1);
    }

    @Test
    void oversizedBodyIsRefusedWith413() {
        String huge = Api.pairJson("q?", "a".repeat(300_000));
        assertProblem(api.post("/api/qa-pairs", huge), 413);

        // the same body without a declared length, as a client streaming it would send it
        Api.Response chunked = api.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/qa-pairs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(huge.getBytes(StandardCharsets.UTF_8)))));
        assertProblem(chunked, 413);
        assertThat(pairs()).isZero();
    }

    @Test
    void unknownAndMalformedIds() {
        assertProblem(api.get("/api/qa-pairs/00000000-0000-0000-0000-000000000000"), 404);
        assertProblem(api.get("/api/qa-pairs/00000000-0000-0000-0000-000000000000/embedding"), 404);
        assertProblem(api.put("/api/qa-pairs/00000000-0000-0000-0000-000000000000", Api.pairJson("q?", "a")), 404);
        assertProblem(api.delete("/api/qa-pairs/00000000-0000-0000-0000-000000000000"), 404);
        Api.Response notUuid = api.get("/api/qa-pairs/not-a-uuid");
        assertProblem(notUuid, 400);
        assertThat(notUuid.json().path("detail").asString()).contains("UUID");
        assertProblem(api.get("/api/qa-pairs/abc'or'1'='1/embedding"), 400);
        assertThat(pairs()).isZero();
    }

    @Test
    void sqlLookingTextIsStoredVerbatim() {
        String question = "'; DROP TABLE qa_pair; --";
        String id = api.create(question, "Robert\"); DELETE FROM qa_embedding; --");
        assertThat(api.get("/api/qa-pairs/" + id).json().path("question").asString())
                .isEqualTo(question);
        assertThat(pairs()).isEqualTo(1);
        assertThat(embeddings()).isEqualTo(1);
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() {
        assertProblem(api.get("/api/nothing-here"), 404);
        assertProblem(
                api.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/qa-pairs"))
                        .method("PATCH", HttpRequest.BodyPublishers.ofString("{}"))),
                405);
    }
}
