package org.qaembeddings.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

/**
 * The provider's API key leaves the service only in the Authorization header of provider calls:
 * not in logs (at TRACE for our code), problem bodies, the embedding records, the failed list,
 * actuator output or exception messages, even when the provider echoes it back in its errors.
 */
@Tag("single-database")
@ExtendWith(OutputCaptureExtension.class)
@AutoConfigureMetrics
@TestPropertySource(
        properties = {
            "security.admin-key=admin-key-0123456789abcdef",
            "embedding.max-retries=2",
            "embedding.retry.base-delay=50ms",
            "embedding.retry.max-delay=50ms",
            "embedding.poll-interval=50ms",
            "logging.level.org.qaembeddings=TRACE"
        })
class ProviderKeySecrecyTest extends DatabaseTest {

    /** DatabaseTest's embedding.openai.api-key. */
    static final String PROVIDER_KEY = "sk-test-secret-key-0123456789";

    static final String ADMIN = "admin-key-0123456789abcdef";

    private Api.Response admin(String method, String path, String json) {
        return api.call(method, path, ADMIN, json);
    }

    @Test
    void providerKeyNeverLeavesTheProviderCall(CapturedOutput output) {
        // a provider that echoes the key it was sent, whole, in every error (a 500, then a 401, in turns)
        OPENAI.behave(request -> {
            String key = request.authorization().substring("Bearer ".length());
            int status = OPENAI.requests().size() % 2 == 1 ? 500 : 401;
            return FakeOpenAiServer.Reply.json(
                    status,
                    "{\"error\":{\"message\":\"Incorrect API key provided: " + key + " (request from key "
                            + key.substring(0, 12) + "...)\"}}");
        });
        String first = admin("POST", "/api/qa-pairs", Api.pairJson("Is my key safe?", "It should be."))
                .json()
                .path("id")
                .asString();
        String second = admin("POST", "/api/qa-pairs", Api.pairJson("And in a batch?", "Also."))
                .json()
                .path("id")
                .asString();

        // neither error is the rows' fault: they wait, uncharged, with the provider's words (masked) as their last
        // error
        await().atMost(Duration.ofSeconds(30))
                .until(() -> jdbc.sql("SELECT COUNT(*) FROM qa_embedding "
                                        + "WHERE last_error LIKE '%Incorrect API key provided: ***%'")
                                .query(Long.class)
                                .single()
                        == 2);
        Api.Response batch =
                admin("POST", "/api/embeddings/batch", "{\"qaPairIds\":[\"" + first + "\",\"" + second + "\"]}");

        assertThat(OPENAI.requests())
                .allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + PROVIDER_KEY));
        String everything = String.join(
                "\n",
                admin("GET", "/api/qa-pairs/" + first + "/embedding", null).body(),
                admin("GET", "/api/qa-pairs/" + second, null).body(),
                admin("GET", "/api/embeddings/failed", null).body(),
                admin("GET", "/api/embeddings/health", null).body(),
                batch.body(),
                admin("GET", "/actuator/health", null).body(),
                admin("GET", "/actuator/prometheus", null).body(),
                api.get("/actuator/env").body(),
                api.get("/actuator/configprops").body(),
                jdbc.sql("SELECT string_agg(COALESCE(last_error, ''), ' ') FROM qa_embedding")
                        .query(String.class)
                        .single());
        assertThat(everything).contains("Incorrect API key provided: ***").doesNotContain(PROVIDER_KEY);
        assertThat(output.getAll()).contains("refuses every request alike").doesNotContain(PROVIDER_KEY);
    }
}
