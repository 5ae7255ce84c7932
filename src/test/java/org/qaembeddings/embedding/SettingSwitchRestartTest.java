package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qaembeddings.QaEmbeddingsApplication;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.support.TestDatabase;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * The user's way to change the embedding setting: change a property and restart. Every pair is
 * re-embedded once, in the background, with the new setting; nothing is stranded or dead-lettered.
 */
@Tag("db")
class SettingSwitchRestartTest {

    private static final FakeOpenAiServer OPENAI = DatabaseTest.OPENAI;
    private static final String TEMPLATE = "Question: {question}\nAnswer: {answer}";

    @TempDir
    Path dir;

    private ConfigurableApplicationContext start(
            Map<String, String> database, String model, String template, String... more) {
        Map<String, Object> properties = new HashMap<>(database);
        for (String property : more) {
            properties.put(property.substring(0, property.indexOf('=')), property.substring(property.indexOf('=') + 1));
        }
        properties.put("server.port", "0");
        properties.put("embedding.provider", "openai");
        properties.put("embedding.openai.base-url", OPENAI.baseUrl());
        properties.put("embedding.openai.dimensions", String.valueOf(DatabaseTest.DIMENSIONS));
        properties.put("embedding.openai.model", model);
        properties.put("embedding.text-template", template);
        properties.put("embedding.poll-interval", "100ms");
        properties.put("search.index-dir", dir.resolve("index").toString());
        return new SpringApplicationBuilder(QaEmbeddingsApplication.class)
                .run(properties.entrySet().stream()
                        .map(e -> "--" + e.getKey() + "=" + e.getValue())
                        .toArray(String[]::new));
    }

    private static Api api(ConfigurableApplicationContext context) {
        return new Api(((WebServerApplicationContext) context).getWebServer().getPort());
    }

    private static String text(String template, int i) {
        return template.replace("{question}", "Switch " + i + "?").replace("{answer}", "Answer " + i + ".");
    }

    /** Restarts with {@code model} and {@code template}, and checks that every pair is re-embedded with them, once. */
    private void restartAndCheckSwitch(Map<String, String> database, List<String> ids, String model, String template) {
        TestDatabase.shutdown(database);
        OPENAI.reset();
        try (ConfigurableApplicationContext node = start(database, model, template)) {
            Api api = api(node);
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> api.get("/api/embeddings/reembed")
                                    .json()
                                    .path("state")
                                    .asString(),
                            "DONE"::equals);
            JsonNode progress = api.get("/api/embeddings/reembed").json();
            assertThat(progress.path("to").path("model").asString()).isEqualTo(model);
            assertThat(progress.path("to").path("template").asString()).isEqualTo(template);
            assertThat(progress.path("pairs").asLong()).isEqualTo(ids.size());
            assertThat(progress.path("done").asLong()).isEqualTo(ids.size());
            String key = progress.path("to").path("key").asString();
            for (String id : ids) {
                JsonNode embedding =
                        api.get("/api/qa-pairs/" + id + "/embedding").json();
                assertThat(embedding.path("status").asString()).isEqualTo("COMPLETED");
                assertThat(embedding.path("setting").path("key").asString()).isEqualTo(key);
                assertThat(embedding.path("setting").path("model").asString()).isEqualTo(model);
                assertThat(embedding.path("current").asBoolean()).isTrue();
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                expected.add(text(template, i));
            }
            assertThat(OPENAI.requests()).allSatisfy(r -> assertThat(r.model()).isEqualTo(model));
            assertThat(OPENAI.allInputs()).as("each pair once").containsExactlyInAnyOrderElementsOf(expected);
            JdbcClient jdbc = node.getBean(JdbcClient.class);
            assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding "
                                    + "WHERE status <> 'COMPLETED' OR vector_setting <> :key")
                            .param("key", key)
                            .query(Long.class)
                            .single())
                    .isZero();
            // search ranks with the new setting's vectors, and says so
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode found =
                        api.get("/api/search?mode=semantic&q=Switch%201%3F").json();
                assertThat(found.path("setting").asString()).isEqualTo(key);
                assertThat(found.path("hits").size()).isEqualTo(ids.size());
            });
        }
    }

    /** {@code n} pairs saved and embedded by a node of {@code model-small} and the default template, stopped then. */
    private List<String> savedAndEmbedded(Map<String, String> database, int n) {
        TestDatabase.drop(database);
        OPENAI.reset();
        List<String> ids = new ArrayList<>();
        try (ConfigurableApplicationContext first = start(database, "model-small", TEMPLATE)) {
            Api api = api(first);
            for (int i = 0; i < n; i++) {
                ids.add(api.create("Switch " + i + "?", "Answer " + i + "."));
            }
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> ids.stream()
                            .allMatch(id -> "COMPLETED"
                                    .equals(api.get("/api/qa-pairs/" + id + "/embedding")
                                            .json()
                                            .path("status")
                                            .asString())));
        }
        TestDatabase.shutdown(database);
        return ids;
    }

    @Test
    void aChangedModelOrTemplateReembedsEveryPairOnceAfterARestart() {
        Map<String, String> database = TestDatabase.properties(dir.resolve("switch"));
        List<String> ids = savedAndEmbedded(database, 4);

        restartAndCheckSwitch(database, ids, "model-large", TEMPLATE);
        restartAndCheckSwitch(database, ids, "model-large", "Q: {question} A: {answer}");
        OPENAI.assertNoStubFailures();
    }

    private static JsonNode semantic(Api api, String query) {
        return api.get("/api/search?mode=semantic&q=" + URLEncoder.encode(query, StandardCharsets.UTF_8))
                .json();
    }

    @Test
    void searchAnswersWithTheOldModelUntilTheSwitchIsDone() {
        Map<String, String> database = TestDatabase.properties(dir.resolve("search"));
        List<String> ids = savedAndEmbedded(database, 3);

        try (ConfigurableApplicationContext node = start(
                database,
                "model-large",
                TEMPLATE,
                "embedding.reembed.auto-approve-usd=0",
                "embedding.cost.rates.model-large=0.13")) {
            Api api = api(node);
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> api.get("/api/embeddings/reembed")
                                    .json()
                                    .path("state")
                                    .asString(),
                            "AWAITING_APPROVAL"::equals);
            String to = api.get("/api/embeddings/reembed")
                    .json()
                    .path("to")
                    .path("key")
                    .asString();
            String from = api.get("/api/embeddings/reembed")
                    .json()
                    .path("from")
                    .path("key")
                    .asString();
            assertThat(api.get("/api/embeddings/reembed")
                            .json()
                            .path("from")
                            .path("model")
                            .asString())
                    .isEqualTo("model-small");
            OPENAI.reset();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode found = semantic(api, "Switch 1?");
                assertThat(found.path("setting").asString())
                        .as("the old setting answers")
                        .isEqualTo(from);
                assertThat(found.path("hits").size()).isEqualTo(ids.size());
            });
            assertThat(OPENAI.requests())
                    .as("the query is embedded by the old model")
                    .isNotEmpty()
                    .allSatisfy(r -> assertThat(r.model()).isEqualTo("model-small"));

            // the old model's key revoked: keyword results, saying why, never a 5xx
            OPENAI.behave(r -> r.model().equals("model-small")
                    ? FakeOpenAiServer.Reply.json(401, "{\"error\":{\"message\":\"key revoked\"}}")
                    : OPENAI.vectors(r));
            Api.Response revoked =
                    api.get("/api/search?mode=hybrid&q=" + URLEncoder.encode("Switch 2", StandardCharsets.UTF_8));
            assertThat(revoked.status()).isEqualTo(200);
            assertThat(revoked.json().path("degraded").asString()).contains("could not be embedded");
            assertThat(revoked.json().path("hits").size()).isPositive();

            assertThat(api.post("/api/embeddings/reembed", "").status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> api.get("/api/embeddings/reembed")
                                    .json()
                                    .path("state")
                                    .asString(),
                            "DONE"::equals);
            OPENAI.reset();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode found = semantic(api, "Switch 0?");
                assertThat(found.path("setting").asString())
                        .as("the new setting answers once the switch is done")
                        .isEqualTo(to);
                assertThat(found.path("hits").size()).isEqualTo(ids.size());
            });
            assertThat(OPENAI.requests())
                    .isNotEmpty()
                    .allSatisfy(r -> assertThat(r.model()).isEqualTo("model-large"));
        }
        OPENAI.assertNoStubFailures();
    }
}
