package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Search while the template changes: the old setting's vectors answer (each pair's own, or the
 * one kept once it is re-embedded) until the switch is done, then the new setting's, never a mix.
 */
@TestPropertySource(properties = "embedding.worker-enabled=false")
class SearchDuringSwitchTest extends ClockDrivenTest {

    @Autowired
    Reembedding contextPass;

    private JsonNode semantic(String query) {
        return api.get("/api/search?mode=semantic&q=" + URLEncoder.encode(query, StandardCharsets.UTF_8))
                .json();
    }

    /** Waits until a semantic search answers from {@code setting} with every pair in {@code ids}. */
    private JsonNode awaitAnswerFrom(String setting, List<UUID> ids) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            last[0] = semantic("Switch 1?");
            assertThat(last[0].path("setting").asString()).isEqualTo(setting);
            assertThat(last[0].path("hits")
                            .valueStream()
                            .map(h -> UUID.fromString(h.path("id").asString())))
                    .containsExactlyInAnyOrderElementsOf(ids);
        });
        return last[0];
    }

    @Test
    void theOldSettingAnswersUntilTheSwitchIsDoneThenTheNewOne() {
        EmbeddingProperties p = properties;
        EmbeddingWorker old = newWorker(
                clock,
                new EmbeddingProperties(
                        p.batchSize(),
                        "Old: {question} / {answer}",
                        p.pollInterval(),
                        p.lease(),
                        p.workerEnabled(),
                        p.maxRetries(),
                        p.retry(),
                        p.workerThreads(),
                        p.circuit(),
                        p.reembed(),
                        p.recountDelay()));
        List<UUID> ids =
                List.of(insertPair("Switch 0?", "a"), insertPair("Switch 1?", "b"), insertPair("Switch 2?", "c"));
        switches.register(old.setting(), clock.instant()); // as the old setting's node did when it started
        old.pollOnce();
        String from = old.setting().key();
        String to = contextPass.setting().key();
        contextPass.begin();

        awaitAnswerFrom(from, ids);
        assertThat(contextPass.pollOnce()).as("the estimate").isEqualTo(3);
        assertThat(contextPass.pollOnce()).as("every pair re-embedded").isEqualTo(3);
        assertThat(contextPass.progress().state()).isEqualTo("RUNNING");

        JsonNode during = awaitAnswerFrom(from, ids);
        assertThat(during.path("hits")
                        .valueStream()
                        .map(h -> h.path("embedding").path("fresh").asBoolean()))
                .as("the kept vectors are of the pairs' current texts")
                .containsOnly(true);
        JsonNode similar =
                api.get("/api/qa-pairs/" + ids.get(0) + "/similar?k=5").json();
        assertThat(similar.path("setting").asString())
                .as("duplicates by the kept vectors too")
                .isEqualTo(from);
        assertThat(similar.path("hits")
                        .valueStream()
                        .map(h -> UUID.fromString(h.path("id").asString())))
                .containsExactlyInAnyOrder(ids.get(1), ids.get(2));

        assertThat(contextPass.pollOnce()).as("the walk found no more").isZero();
        assertThat(contextPass.progress().state()).isEqualTo("DONE");
        JsonNode after = awaitAnswerFrom(to, ids);
        assertThat(api.get("/api/qa-pairs/" + ids.get(0) + "/similar?k=5")
                        .json()
                        .path("setting")
                        .asString())
                .isEqualTo(to);
        assertThat(after.path("hits")
                        .valueStream()
                        .map(h -> h.path("embedding").path("fresh").asBoolean()))
                .containsOnly(true);
    }
}
