package org.qaembeddings.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /api/search} and {@code /api/qa-pairs/{id}/similar} over HTTP, with the stand-in
 * provider: its vector for a text is fixed, so a query that is a pair's embedded text finds that
 * pair first by meaning.
 */
@TestPropertySource(properties = "embedding.text-template={question} {answer}")
class SearchApiTest extends DatabaseTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    @Autowired
    SearchHealthIndicator contributor;

    /** The text embedded for a pair, under this test's template: the pair's own words and no others. */
    private static String embedded(String question, String answer) {
        return question + " " + answer;
    }

    private Api.Response search(String query, String parameters) {
        return api.get("/api/search?q=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + parameters);
    }

    private static List<String> ids(Api.Response response) {
        List<String> ids = new ArrayList<>();
        response.json().path("hits").forEach(hit -> ids.add(hit.path("id").asString()));
        return ids;
    }

    private void awaitCompleted(String id) {
        await().atMost(WITHIN)
                .until(
                        () -> api.get("/api/qa-pairs/" + id + "/embedding")
                                .json()
                                .path("status")
                                .asString(),
                        "COMPLETED"::equals);
    }

    /** Waits until {@code query} in {@code mode} has {@code id} first. */
    private JsonNode awaitFirst(String query, String mode, String id) {
        return await().atMost(WITHIN)
                .until(
                        () -> search(query, "&mode=" + mode).json(),
                        json -> json.path("hits").size() > 0
                                && id.equals(json.path("hits").get(0).path("id").asString()));
    }

    @Test
    void aSavedPairIsFoundByItsWordsWhileItsVectorIsStillPending() {
        OPENAI.behave(request -> FakeOpenAiServer.Reply.json(503, "{\"error\":{\"message\":\"down\"}}"));
        String id = api.create("How do I rotate the signing key?", "Run the rotate command, then restart.");
        JsonNode found = awaitFirst("rotate signing key", "keyword", id);

        JsonNode hit = found.path("hits").get(0);
        assertThat(hit.path("question").asString()).isEqualTo("How do I rotate the signing key?");
        assertThat(hit.path("ranks").path("keyword").asInt()).isEqualTo(1);
        assertThat(hit.path("embedding").path("status").asString()).isIn("PENDING", "PROCESSING");
        assertThat(hit.path("embedding").path("fresh").asBoolean()).isFalse();
        assertThat(found.path("degraded").isNull()).isTrue();
    }

    @Test
    void aPairIsFoundByMeaningAndHybridFusesBothSides() {
        String target = api.create("Where are invoices stored?", "In the billing archive.");
        String other = api.create("How are invoices numbered?", "Sequentially per year.");
        awaitCompleted(target);
        awaitCompleted(other);

        JsonNode semantic =
                awaitFirst(embedded("Where are invoices stored?", "In the billing archive."), "semantic", target);
        assertThat(semantic.path("hits").get(0).path("score").asDouble())
                .as("cosine of a vector with itself")
                .isGreaterThan(0.999);
        JsonNode setting =
                api.get("/api/qa-pairs/" + target + "/embedding").json().path("setting");
        assertThat(setting.path("model").asString()).isEqualTo("fake-embedding");
        assertThat(semantic.path("setting").asString())
                .as("the setting of the vectors that ranked")
                .isEqualTo(setting.path("key").asString());
        assertThat(semantic.path("hits").get(0).path("embedding").path("fresh").asBoolean())
                .isTrue();

        JsonNode hybrid =
                awaitFirst(embedded("Where are invoices stored?", "In the billing archive."), "hybrid", target);
        JsonNode first = hybrid.path("hits").get(0);
        assertThat(first.path("ranks").path("semantic").asInt()).isEqualTo(1);
        assertThat(first.path("ranks").path("keyword").asInt()).isEqualTo(1);
        assertThat(first.path("score").asDouble()).isEqualTo(2.0 / (SearchService.RRF_K + 1), offset(1e-9));
        assertThat(ids(search("invoices", "&mode=keyword&k=1"))).hasSize(1);
    }

    @Test
    void aRepeatedQueryIsEmbeddedOnceAndBilled() {
        String id = api.create("What is the refund window?", "Thirty days.");
        awaitCompleted(id);
        await().atMost(WITHIN)
                .until(() -> search("refund window", "&mode=keyword")
                                .json()
                                .path("hits")
                                .size()
                        == 1);
        OPENAI.reset();
        long costsBefore = jdbc.sql("SELECT COUNT(*) FROM embedding_cost")
                .query(Long.class)
                .single();

        for (int i = 0; i < 3; i++) {
            assertThat(search("how long can I get my money back", "&mode=semantic")
                            .status())
                    .isEqualTo(200);
        }

        assertThat(OPENAI.allInputs()).containsExactly("how long can I get my money back");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM embedding_cost")
                        .query(Long.class)
                        .single())
                .isEqualTo(costsBefore + 1);
        assertThat(jdbc.sql("SELECT purpose FROM embedding_cost ORDER BY id DESC LIMIT 1")
                        .query(String.class)
                        .single())
                .as("billed as its own kind of call")
                .isEqualTo("QUERY");
    }

    @Test
    void aProviderThatIsDownDegradesToWordsInsteadOfFailing() {
        String id = api.create("Can I export my data?", "Yes, as CSV from the account page.");
        awaitCompleted(id);
        await().atMost(WITHIN)
                .until(() -> search("export data", "&mode=keyword")
                                .json()
                                .path("hits")
                                .size()
                        == 1);
        OPENAI.behave(request -> FakeOpenAiServer.Reply.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));

        for (String mode : List.of("hybrid", "semantic")) {
            Api.Response response = search("export my data please", "&mode=" + mode);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.json().path("degraded").asString())
                    .contains("could not be embedded")
                    .contains("keyword results only");
            assertThat(ids(response)).containsExactly(id);
            assertThat(response.json()
                            .path("hits")
                            .get(0)
                            .path("ranks")
                            .path("semantic")
                            .isNull())
                    .isTrue();
        }
    }

    @Test
    void anEditedPairKeepsItsOldVectorMarkedStaleUntilTheNewOneIsWritten() {
        String id = api.create("How do I add a user?", "Invite them from the team page.");
        awaitCompleted(id);
        String oldText = embedded("How do I add a user?", "Invite them from the team page.");
        awaitFirst(oldText, "semantic", id);

        // the new text's call is held (the node is not paused meanwhile); queries are answered
        CountDownLatch release = new CountDownLatch(1);
        OPENAI.behave(request -> {
            if (request.inputs().stream().anyMatch(t -> t.contains("teammate"))) {
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the held call was never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return OPENAI.vectors(request);
        });
        try {
            assertThat(api.put(
                                    "/api/qa-pairs/" + id,
                                    Api.pairJson("How do I add a teammate?", "Invite them from the team page."))
                            .status())
                    .isEqualTo(200);

            JsonNode stale = await().atMost(WITHIN)
                    .until(
                            () -> search(oldText, "&mode=semantic").json(),
                            json -> json.path("hits").size() == 1
                                    && !json.path("hits")
                                            .get(0)
                                            .path("embedding")
                                            .path("fresh")
                                            .asBoolean()
                                    && "How do I add a teammate?"
                                            .equals(json.path("hits")
                                                    .get(0)
                                                    .path("question")
                                                    .asString()));
            assertThat(stale.path("degraded").isNull()).isTrue();
            // hits are read back from the database; the index holds the edit once its new words find it
            await().atMost(WITHIN)
                    .until(() -> ids(search("teammate", "&mode=keyword")).equals(List.of(id)));
            assertThat(stale.path("hits").get(0).path("id").asString()).isEqualTo(id);
            Api.Response freshOnly = search(oldText, "&mode=semantic&freshOnly=true");
            assertThat(freshOnly.json().path("degraded").isNull()).isTrue();
            assertThat(ids(freshOnly)).as("a stale vector is left out").isEmpty();
        } finally {
            release.countDown();
        }
        awaitFirst(embedded("How do I add a teammate?", "Invite them from the team page."), "semantic", id);
    }

    @Test
    void aDeletedPairIsNeverShownEvenBeforeTheIndexHasFollowed() {
        String kept = api.create("Which browsers are supported?", "The last two versions of each.");
        String gone = api.create("Which browsers were supported in 2019?", "Internet Explorer 11.");
        await().atMost(WITHIN)
                .until(() -> ids(search("browsers supported", "&mode=keyword")).size() == 2);

        assertThat(api.delete("/api/qa-pairs/" + gone).status()).isEqualTo(204);

        assertThat(ids(search("browsers supported", "&mode=keyword"))).containsExactly(kept);
    }

    @Test
    void similarPairsAreTheNearestStoredVectorsWithoutAProviderCall() {
        String a = api.create("How do I reset my password?", "Use the reset link.");
        String b = api.create("How do I change my email?", "From the profile page.");
        awaitCompleted(a);
        awaitCompleted(b);
        OPENAI.reset();

        // the vectors reach this node's index a moment after they are written (the follower's next read)
        Api.Response similar = await().atMost(WITHIN)
                .until(
                        () -> api.get("/api/qa-pairs/" + a + "/similar?k=5"),
                        r -> r.status() != 200 || !ids(r).isEmpty());
        assertThat(similar.status()).isEqualTo(200);
        assertThat(ids(similar)).containsExactly(b);
        assertThat(OPENAI.requests()).isEmpty();
        Api.assertProblem(api.get("/api/qa-pairs/00000000-0000-0000-0000-000000000000/similar"), 404);
    }

    @Test
    void theSearchContributorSaysHowFarTheIndexHasFollowed() {
        String id = api.create("Is the index healthy?", "Ask the actuator.");
        await().atMost(WITHIN)
                .until(() -> ids(search("index healthy", "&mode=keyword")).equals(List.of(id)));

        Api.Response health = api.get("/actuator/health/search");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asString()).isEqualTo("UP");
        // details go to an admin key only; none is set here, so they are read from the contributor itself
        Map<String, Object> details = contributor.health().getDetails();
        assertThat(details.get("caughtUp")).isEqualTo(true);
        assertThat((Integer) details.get("pairsIndexed")).isPositive();
        assertThat((Long) details.get("changePosition")).isPositive();
        assertThat(details.get("catchUpMillis"))
                .asInstanceOf(InstanceOfAssertFactories.LONG)
                .isNotNegative();
    }

    @Test
    void badParametersAreProblemsNamingTheRule() {
        Api.assertProblem(api.get("/api/search"), 400);
        Api.assertProblem(api.get("/api/search?q="), 400);
        Api.assertProblem(api.get("/api/search?q=%20%20"), 400);
        Api.assertProblem(search("x".repeat(SearchController.MAX_QUERY_LENGTH + 1), ""), 400);
        Api.assertProblem(search("ok", "&k=0"), 400);
        Api.assertProblem(search("ok", "&k=101"), 400);
        Api.assertProblem(search("ok", "&k=ten"), 400);
        Api.assertProblem(search("ok", "&mode=fuzzy"), 400);
        Api.assertProblem(search("ok", "&minScore=NaN"), 400);
        Api.assertProblem(search("ok", "&freshOnly=maybe"), 400);
        Api.assertProblem(api.get("/api/qa-pairs/not-a-uuid/similar"), 400);
        assertThat(search("x".repeat(SearchController.MAX_QUERY_LENGTH), "&mode=keyword")
                        .status())
                .isEqualTo(200);
        assertThat(search("the of and", "&mode=keyword").json().path("hits"))
                .as("only stop words")
                .isEmpty();
        assertThat(search("ok", "&mode=fuzzy").json().path("detail").asString())
                .contains("hybrid, semantic or keyword");
    }
}
