package org.qaembeddings.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** What a newcomer gets with the defaults: a paraphrase finds the right pair first, with the in-process model. */
@Tag("single-database")
@TestPropertySource(properties = "embedding.provider=local")
class LocalModelSearchTest extends DatabaseTest {

    @Autowired
    IndexFollower follower;

    private static final Map<String, String> PAIRS = new LinkedHashMap<>();

    static {
        PAIRS.put("How do I reset my password?", "Open Settings, then Security, then Reset password.");
        PAIRS.put("How long does shipping take?", "Orders arrive within three to five business days.");
        PAIRS.put("Can I pay by bank transfer?", "Yes, choose bank transfer at checkout.");
        PAIRS.put("How do I cancel my subscription?", "Go to Billing and press Cancel plan.");
        PAIRS.put("Where can I download my invoices?", "Invoices are under Billing, History.");
        PAIRS.put("Do you ship to Canada?", "We ship to the United States and Canada.");
        PAIRS.put("How do I delete my account?", "Write to support and we remove it within a week.");
        PAIRS.put("Is there a mobile app?", "Yes, for iOS and Android.");
    }

    @ParameterizedTest(name = "{0} finds \"{1}\" in {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "forgot my login|How do I reset my password?|hybrid",
                "forgot my login|How do I reset my password?|semantic",
                "when will my parcel arrive|How long does shipping take?|hybrid",
                "stop paying every month|How do I cancel my subscription?|semantic",
                "bills for my purchases|Where can I download my invoices?|hybrid",
                "how can I reset my password|How do I reset my password?|hybrid",
                "reset password|How do I reset my password?|keyword"
            })
    void aParaphraseFindsTheRightPairFirst(String query, String expected, String mode) {
        PAIRS.forEach(api::create);
        await().atMost(Duration.ofSeconds(60)).until(() -> rowsWithStatus("COMPLETED") == PAIRS.size());
        // every vector in the index: hits are read back from the database, which is ahead of it
        long last = jdbc.sql("SELECT MAX(change_seq) FROM qa_embedding")
                .query(Long.class)
                .single();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> follower.position().read() >= last
                        && follower.position().gaps().isEmpty());

        JsonNode answer = api.get("/api/search?mode=" + mode + "&q=" + URLEncoder.encode(query, StandardCharsets.UTF_8))
                .json();
        assertThat(answer.path("degraded").isNull()).isTrue();

        assertThat(answer.path("hits").get(0).path("question").asString()).isEqualTo(expected);
        if (!mode.equals("keyword")) {
            JsonNode setting = api.get("/api/embeddings/reembed").json().path("to");
            assertThat(setting.path("model").asString()).isEqualTo("all-minilm-l6-v2-q");
            assertThat(answer.path("setting").asString())
                    .isEqualTo(setting.path("key").asString());
        }
        assertThat(OPENAI.requests()).isEmpty();
    }
}
