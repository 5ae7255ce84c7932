package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** The background scheduler retries transient failures by itself: no operator, no retry call. */
@TestPropertySource(
        properties = {
            "embedding.retry.base-delay=100ms",
            "embedding.retry.max-delay=400ms",
            "embedding.poll-interval=50ms"
        })
class SelfHealingTest extends DatabaseTest {

    @Test
    void transientFailuresHealWithoutAnOperator() {
        AtomicInteger calls = new AtomicInteger();
        OPENAI.behave(request -> calls.incrementAndGet() <= 2
                ? FakeOpenAiServer.Reply.json(503, "{\"error\": {\"message\": \"overloaded\"}}")
                : OPENAI.vectors(request));

        String id = api.create("Does it heal?", "After two provider errors, yes.");

        JsonNode embedding = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> api.get("/api/qa-pairs/" + id + "/embedding").json(),
                        e -> e.path("status").asString().equals("COMPLETED"));
        assertThat(embedding.path("attempts").asInt())
                .as("the provider's errors cost the row no attempt")
                .isEqualTo(1);
        assertThat(embedding.path("lastError").isNull()).isTrue();
        assertThat(calls.get()).isEqualTo(3);
    }
}
