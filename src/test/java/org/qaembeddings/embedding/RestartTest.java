package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qaembeddings.QaEmbeddingsApplication;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.TestDatabase;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Work that was saved is done even when the node that saved it stops before doing it. */
@Tag("db")
class RestartTest {

    @TempDir
    Path dir;

    private ConfigurableApplicationContext start(Map<String, String> database, boolean workerEnabled) {
        Map<String, Object> properties = new HashMap<>(database);
        properties.put("server.port", "0");
        properties.put("embedding.provider", "openai");
        properties.put("embedding.openai.base-url", DatabaseTest.OPENAI.baseUrl());
        properties.put("embedding.openai.dimensions", String.valueOf(DatabaseTest.DIMENSIONS));
        properties.put("embedding.poll-interval", "200ms");
        properties.put("embedding.worker-enabled", String.valueOf(workerEnabled));
        properties.put("search.index-dir", dir.resolve("index").toString());
        // as arguments: defaults (builder.properties) would lose to application.properties
        return new SpringApplicationBuilder(QaEmbeddingsApplication.class)
                .run(properties.entrySet().stream()
                        .map(e -> "--" + e.getKey() + "=" + e.getValue())
                        .toArray(String[]::new));
    }

    private static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    @Test
    void pendingRowSurvivesRestartAndCompletes() {
        Map<String, String> database = TestDatabase.properties(dir.resolve("restart"));
        TestDatabase.drop(database);
        DatabaseTest.OPENAI.reset();
        String id;
        try (ConfigurableApplicationContext first = start(database, false)) {
            assertThat(first.getEnvironment().getProperty("spring.datasource.url"))
                    .as("the test's own database, not the default one")
                    .isEqualTo(database.get("spring.datasource.url"));
            id = new Api(port(first)).create("Saved just before a restart?", "It is embedded after it.");
            assertThat(new Api(port(first))
                            .get("/api/qa-pairs/" + id + "/embedding")
                            .json()
                            .path("status")
                            .asString())
                    .isEqualTo("PENDING");
        }
        assertThat(DatabaseTest.OPENAI.requests()).isEmpty();
        // an embedded H2 may still be closing behind the pool; a new one must not join the old instance
        TestDatabase.shutdown(database);

        try (ConfigurableApplicationContext second = start(database, true)) {
            Api api = new Api(port(second));
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> api.get("/api/qa-pairs/" + id + "/embedding")
                                    .json()
                                    .path("status")
                                    .asString(),
                            "COMPLETED"::equals);
            JdbcClient jdbc = second.getBean(JdbcClient.class);
            assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE qa_pair_id = :id AND vector IS NOT NULL")
                            .param("id", UUID.fromString(id))
                            .query(Long.class)
                            .single())
                    .isEqualTo(1);
        }
    }
}
