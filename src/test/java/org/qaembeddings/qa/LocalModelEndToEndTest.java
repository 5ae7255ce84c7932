package org.qaembeddings.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** The default set-up a newcomer gets: the in-process model, end to end over HTTP. */
@Tag("single-database")
@TestPropertySource(properties = "embedding.provider=local")
class LocalModelEndToEndTest extends DatabaseTest {

    @Test
    void createQaTriggersEmbeddingWithTheLocalModel() {
        String id = api.create("How do I reset my password?", "Open Settings, then Security, then Reset password.");

        JsonNode embedding = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> api.get("/api/qa-pairs/" + id + "/embedding").json(),
                        e -> "COMPLETED".equals(e.path("status").asString()));

        assertThat(embedding.path("model").asString()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(embedding.path("dimensions").asInt()).isEqualTo(384);
        assertThat(embedding.path("vector")).hasSize(384);
        double norm = 0;
        for (JsonNode value : embedding.path("vector")) {
            norm += value.doubleValue() * value.doubleValue();
        }
        assertThat(Math.sqrt(norm)).isBetween(0.999, 1.001);
        assertThat(OPENAI.requests()).isEmpty();
    }
}
