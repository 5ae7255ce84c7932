package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;

/**
 * A changed embedding setting, driven by hand: the node of the new setting is a second worker and
 * re-embed pass on the same database, with the template changed (a model change goes through a
 * restart of the service, in {@link SettingSwitchRestartTest}).
 */
@AutoConfigureMetrics
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.batch-size=10",
            "embedding.cost.rates.fake-embedding=0.02",
            "embedding.reembed.auto-approve-usd=0",
            "embedding.health.stats-cache-ttl=0s"
        })
class SettingSwitchTest extends ClockDrivenTest {

    private static final String NEW_TEMPLATE = "Q: {question} A: {answer}";

    @Autowired
    Reembedding contextPass;

    @Autowired
    @Qualifier("embeddings")
    HealthIndicator embeddingsHealth;

    /** This context's properties with another template, and switches of up to 1 USD approved by themselves. */
    private EmbeddingProperties withTemplate(String template) {
        EmbeddingProperties p = properties;
        return new EmbeddingProperties(
                p.batchSize(),
                template,
                p.pollInterval(),
                p.lease(),
                p.workerEnabled(),
                p.maxRetries(),
                p.retry(),
                p.workerThreads(),
                p.circuit(),
                new EmbeddingProperties.Reembed(BigDecimal.ONE, p.reembed().keepPrevious()),
                p.recountDelay());
    }

    private static String newText(String question, String answer) {
        return "Q: " + question + " A: " + answer;
    }

    private String column(UUID id, String column) {
        List<String> values = jdbc.sql("SELECT " + column + " FROM qa_embedding WHERE qa_pair_id = :id")
                .param("id", id)
                .query((rs, n) -> rs.getString(1))
                .list();
        assertThat(values).hasSize(1);
        return values.get(0);
    }

    private List<UUID> embeddedPairs(int n) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(insertPair("Switch " + i + "?", "answer " + i));
        }
        reembedding().begin(clock.instant());
        while (worker.pollOnce() > 0) {
            // a batch at a time
        }
        ids.forEach(id -> assertThat(column(id, "status")).isEqualTo("COMPLETED"));
        OPENAI.reset();
        return ids;
    }

    /** The pass of this test's worker (the context's template), approving up to 1 USD by itself. */
    private Reembedding reembedding() {
        return newReembedding(worker, clock, withTemplate(properties.textTemplate()));
    }

    @Test
    void templateChangeReembedsEveryPairOnceInTheBackground() {
        List<UUID> ids = embeddedPairs(3);
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        EmbeddingWorker next = newWorker(clock, changed);
        Reembedding pass = newReembedding(next, clock, changed);
        pass.begin(clock.instant());

        ReembedProgress started = pass.progress();
        assertThat(started.state()).isEqualTo("ESTIMATING");
        assertThat(started.pairs()).isEqualTo(3);
        assertThat(started.from().key()).isEqualTo(worker.setting().key());
        assertThat(started.to().template()).isEqualTo(NEW_TEMPLATE);

        assertThat(pass.pollOnce()).as("the estimate").isEqualTo(3);
        assertThat(OPENAI.requests()).as("the estimate makes no call").isEmpty();
        ReembedProgress priced = pass.progress();
        assertThat(priced.state())
                .as("cheaper than embedding.reembed.auto-approve-usd")
                .isEqualTo("RUNNING");
        long tokens = 0;
        for (int i = 0; i < ids.size(); i++) {
            tokens += provider.countTokens(newText("Switch " + i + "?", "answer " + i));
        }
        assertThat(priced.tokens()).isEqualTo(tokens).isPositive();
        assertThat(priced.estimatedCostUsd()).isEqualByComparingTo(costs.costOf("fake-embedding", tokens));

        assertThat(next.pollOnce())
                .as("nothing is due in the queue: the switch is not queue work")
                .isZero();
        assertThat(pass.pollOnce()).isEqualTo(3);
        assertThat(OPENAI.allInputs())
                .containsExactlyInAnyOrder(
                        newText("Switch 0?", "answer 0"),
                        newText("Switch 1?", "answer 1"),
                        newText("Switch 2?", "answer 2"));
        for (int i = 0; i < ids.size(); i++) {
            UUID id = ids.get(i);
            assertThat(column(id, "status")).isEqualTo("COMPLETED");
            assertThat(column(id, "vector_setting")).isEqualTo(next.setting().key());
            assertThat(column(id, "text_hash"))
                    .isEqualTo(EmbeddingText.hash(newText("Switch " + i + "?", "answer " + i)));
            assertThat(reads.findDetail(id)
                            .orElseThrow()
                            .forSetting(next.setting())
                            .current())
                    .isTrue();
            assertThat(reads.findDetail(id).orElseThrow().vector())
                    .containsExactly(
                            FakeOpenAiServer.vectorFor(newText("Switch " + i + "?", "answer " + i), DIMENSIONS));
        }

        assertThat(pass.pollOnce()).as("the walk found no more").isZero();
        ReembedProgress done = pass.progress();
        assertThat(done.state()).isEqualTo("DONE");
        assertThat(done.done()).isEqualTo(3);
        // the stand-in's tokens of the re-embed call, at the configured 0.02 USD per 1,000
        long reembedTokens = jdbc.sql("SELECT SUM(tokens) FROM embedding_cost WHERE purpose = 'REEMBED'")
                .query(Long.class)
                .single();
        assertThat(reembedTokens).isPositive();
        assertThat(done.spentUsd())
                .as("billed as re-embed calls")
                .isEqualByComparingTo(new BigDecimal("0.02")
                        .multiply(BigDecimal.valueOf(reembedTokens))
                        .movePointLeft(3));
        assertThat(OPENAI.requests()).as("each pair once").hasSize(1);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE status <> 'COMPLETED'")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void pendingRowOfTheOldTemplateCompletesUnderTheNewOne() {
        // saved (and hashed) by a node of the old template, embedded by a node of the new one: the
        // compare-and-set is on the claim, so the write lands instead of failing lease after lease
        UUID id = insertPair("Saved before the restart?", "yes");
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        EmbeddingWorker next = newWorker(clock, changed);

        assertThat(next.pollOnce()).isEqualTo(1);

        assertThat(column(id, "status")).isEqualTo("COMPLETED");
        assertThat(column(id, "vector_setting")).isEqualTo(next.setting().key());
        assertThat(OPENAI.allInputs()).containsExactly(newText("Saved before the restart?", "yes"));
    }

    @Test
    void newAndEditedPairsGoBeforeTheSwitch() {
        List<UUID> ids = embeddedPairs(2);
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        EmbeddingWorker next = newWorker(clock, changed);
        Reembedding pass = newReembedding(next, clock, changed);
        pass.begin(clock.instant());
        pass.pollOnce();
        EmbeddingService nextService = new EmbeddingService(repository, counts, reads, next, changed, events, clock);
        EmbeddingScheduler scheduler = new EmbeddingScheduler(next, pass, changed);
        UUID added = insertPair("Added during the switch?", "yes");
        transactions.executeWithoutResult(tx -> {
            jdbc.sql("UPDATE qa_pair SET question = 'Edited during the switch?' WHERE id = :id")
                    .param("id", ids.get(0))
                    .update();
            nextService.requestIfTextChanged(ids.get(0), "Edited during the switch?", "answer 0", clock.instant());
        });

        assertThat(scheduler.pollOnceSafely())
                .as("the queue's two, then the switch's walk over the three pairs")
                .isEqualTo(5);
        assertThat(OPENAI.requests()).hasSize(2);
        assertThat(OPENAI.requests().get(0).inputs())
                .as("new and edited pairs first")
                .containsExactlyInAnyOrder(
                        newText("Added during the switch?", "yes"), newText("Edited during the switch?", "answer 0"));
        assertThat(OPENAI.requests().get(1).inputs())
                .as("then the switch, which the edited pair no longer needs")
                .containsExactly(newText("Switch 1?", "answer 1"));
        assertThat(scheduler.pollOnceSafely()).isZero();
        assertThat(pass.progress().state()).isEqualTo("DONE");
        for (UUID id : List.of(added, ids.get(0), ids.get(1))) {
            assertThat(column(id, "vector_setting")).isEqualTo(next.setting().key());
        }
    }

    @Test
    void vectorsThatRecordedNoSettingAreAdoptedWhenTheSettingWouldMakeThemAlike() {
        List<UUID> ids = embeddedPairs(3);
        // as V11 leaves the vectors written before settings were recorded; the last was made from
        // another template (its hash says so)
        jdbc.sql("UPDATE qa_embedding SET vector_setting = NULL").update();
        jdbc.sql("DELETE FROM embedding_switch").update();
        jdbc.sql("UPDATE qa_embedding SET vector_text_hash = 'other', text_hash = 'other' WHERE qa_pair_id = :id")
                .param("id", ids.get(2))
                .update();
        Reembedding pass = reembedding();
        pass.begin(clock.instant());
        assertThat(pass.progress().from()).isNull();
        assertThat(pass.progress().pairs()).isEqualTo(3);
        assertThat(pass.pollOnce()).as("the estimate").isEqualTo(3);
        assertThat(pass.progress().tokens())
                .as("only the vector made from another text is to be sent")
                .isEqualTo(provider.countTokens("Question: Switch 2?\nAnswer: answer 2"));

        assertThat(pass.pollOnce()).isEqualTo(3);

        assertThat(OPENAI.allInputs())
                .as("only the one made from another text is embedded")
                .containsExactly("Question: Switch 2?\nAnswer: answer 2");
        ids.forEach(id -> assertThat(column(id, "vector_setting"))
                .isEqualTo(worker.setting().key()));
        assertThat(pass.pollOnce()).isZero();
        assertThat(pass.progress().state()).isEqualTo("DONE");
        assertThat(pass.progress().done()).isEqualTo(3);
    }

    @Test
    void noSwitchBeginsWhenEveryVectorIsOfTheSetting() {
        embeddedPairs(2);
        Reembedding pass = reembedding();
        pass.begin(clock.instant());

        assertThat(pass.pollOnce()).isZero();
        assertThat(OPENAI.requests()).isEmpty();
        assertThat(pass.progress().to().key()).isEqualTo(worker.setting().key());
    }

    @Test
    void aNewerSettingSupersedesARunningSwitch() {
        embeddedPairs(2);
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        Reembedding first = newReembedding(newWorker(clock, changed), clock, changed);
        first.begin(clock.instant());
        EmbeddingProperties again = withTemplate("{question} / {answer}");
        Reembedding second = newReembedding(newWorker(clock, again), clock, again);
        second.begin(clock.instant());

        assertThat(first.pollOnce()).as("a superseded switch stops").isZero();
        assertThat(second.pollOnce()).as("the estimate").isEqualTo(2);
        assertThat(OPENAI.requests()).isEmpty();
        assertThat(second.pollOnce()).isEqualTo(2);
        assertThat(OPENAI.allInputs()).containsExactlyInAnyOrder("Switch 0? / answer 0", "Switch 1? / answer 1");
    }

    @Test
    void aSwitchDearerThanTheAutoApprovalWaitsForAnAdmin() {
        // vectors made with another template; this context's node, of the default template, switches to its own
        EmbeddingWorker old = newWorker(clock, withTemplate("Old: {question} / {answer}"));
        List<UUID> ids = List.of(insertPair("Dear 0?", "a"), insertPair("Dear 1?", "b"));
        old.pollOnce();
        OPENAI.reset();
        contextPass.begin();

        assertThat(contextPass.pollOnce()).as("the estimate").isEqualTo(2);
        ReembedProgress waiting = contextPass.progress();
        long tokens = provider.countTokens("Question: Dear 0?\nAnswer: a")
                + provider.countTokens("Question: Dear 1?\nAnswer: b");
        assertThat(waiting.state()).isEqualTo("AWAITING_APPROVAL");
        assertThat(waiting.tokens()).isEqualTo(tokens);
        assertThat(waiting.estimatedCostUsd())
                .isEqualByComparingTo(costs.costOf("fake-embedding", tokens))
                .isPositive();
        assertThat(contextPass.pollOnce()).isZero();
        assertThat(OPENAI.requests()).as("nothing is spent before approval").isEmpty();
        assertThat(api.get("/actuator/prometheus").body())
                .contains("embedding_reembed_active 1.0")
                .contains("embedding_reembed_pairs 2.0")
                .contains("embedding_reembed_done 0.0");
        assertThat(embeddingsHealth.health().getDetails().get("reembed"))
                .asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("state", "AWAITING_APPROVAL")
                .containsEntry("pairs", 2L);

        Api.Response approved = api.post("/api/embeddings/reembed", "");
        assertThat(approved.status()).isEqualTo(200);
        assertThat(approved.json().path("state").asString()).isEqualTo("RUNNING");
        assertThat(contextPass.pollOnce()).isEqualTo(2);
        assertThat(OPENAI.allInputs())
                .containsExactlyInAnyOrder("Question: Dear 0?\nAnswer: a", "Question: Dear 1?\nAnswer: b");
        ids.forEach(id -> assertThat(column(id, "vector_setting"))
                .isEqualTo(contextPass.setting().key()));
        assertThat(contextPass.pollOnce()).isZero();
        assertThat(contextPass.progress().state()).isEqualTo("DONE");
        assertThat(api.get("/actuator/prometheus").body())
                .contains("embedding_reembed_active 0.0")
                .contains("embedding_reembed_done 2.0");

        Api.Response nothingWaits = api.post("/api/embeddings/reembed", "");
        assertThat(nothingWaits.status()).isEqualTo(409);
        assertThat(nothingWaits.json().path("detail").asString()).contains("no re-embed waits for approval");
    }

    /** Switches to {@code next}'s setting and runs the switch to its end. */
    private void switchTo(Reembedding pass) {
        pass.begin(clock.instant());
        while (pass.pollOnce() > 0) {
            // the estimate, then the batches
        }
        assertThat(pass.progress().state()).isEqualTo("DONE");
    }

    @Test
    void aSwitchBackTakesTheKeptVectorsWithoutACall() {
        List<UUID> ids = embeddedPairs(2);
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        EmbeddingWorker next = newWorker(clock, changed);
        switchTo(newReembedding(next, clock, changed));
        assertThat(OPENAI.requests()).hasSize(1);
        ids.forEach(id -> assertThat(column(id, "previous_setting"))
                .isEqualTo(worker.setting().key()));
        // edited under the new setting: its kept vector is of a text it no longer has
        EmbeddingService nextService = new EmbeddingService(repository, counts, reads, next, changed, events, clock);
        transactions.executeWithoutResult(tx -> {
            jdbc.sql("UPDATE qa_pair SET answer = 'edited' WHERE id = :id")
                    .param("id", ids.get(1))
                    .update();
            nextService.requestIfTextChanged(ids.get(1), "Switch 1?", "edited", clock.instant());
        });
        next.pollOnce();
        OPENAI.reset();

        switchTo(reembedding());

        assertThat(OPENAI.allInputs())
                .as("only the edited pair is embedded again")
                .containsExactly("Question: Switch 1?\nAnswer: edited");
        assertThat(reads.findDetail(ids.get(0)).orElseThrow().vector())
                .as("the kept vector, back")
                .containsExactly(FakeOpenAiServer.vectorFor("Question: Switch 0?\nAnswer: answer 0", DIMENSIONS));
        for (UUID id : ids) {
            assertThat(column(id, "vector_setting")).isEqualTo(worker.setting().key());
            assertThat(column(id, "previous_setting"))
                    .as("the other setting's vector is kept in turn")
                    .isEqualTo(next.setting().key());
            assertThat(reads.findDetail(id)
                            .orElseThrow()
                            .forSetting(worker.setting())
                            .current())
                    .isTrue();
        }
        assertThat(column(ids.get(0), "text_hash"))
                .isEqualTo(EmbeddingText.hash("Question: Switch 0?\nAnswer: answer 0"));
    }

    @Test
    void keptVectorsAreDroppedOnceKeepPreviousHasPassed() {
        List<UUID> ids = embeddedPairs(2);
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        Reembedding pass = newReembedding(newWorker(clock, changed), clock, changed);
        switchTo(pass);

        clock.advance(properties.reembed().keepPrevious().minusSeconds(1));
        assertThat(pass.pollOnce()).isZero();
        ids.forEach(id -> assertThat(column(id, "previous_setting")).isNotNull());

        clock.advance(Duration.ofSeconds(1));
        assertThat(pass.pollOnce()).isEqualTo(2);
        ids.forEach(id -> assertThat(column(id, "previous_setting")).isNull());
        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE previous_vector IS NOT NULL")
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(pass.pollOnce()).isZero();
    }

    @Test
    void theWalkTakesPairsSavedAtOneInstantOnceEachBatchAfterBatch() {
        List<UUID> ids = embeddedPairs(25); // one instant on the test's clock: only their ids order them
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        Reembedding pass = newReembedding(newWorker(clock, changed), clock, changed);
        pass.begin(clock.instant());
        assertThat(pass.pollOnce()).as("the estimate").isEqualTo(25);

        assertThat(List.of(pass.pollOnce(), pass.pollOnce(), pass.pollOnce(), pass.pollOnce()))
                .containsExactly(10, 10, 5, 0);

        assertThat(OPENAI.requests()).hasSize(3);
        assertThat(OPENAI.allInputs()).doesNotHaveDuplicates().hasSize(25);
        assertThat(pass.progress().state()).isEqualTo("DONE");
        String key = EmbeddingSetting.of(provider, NEW_TEMPLATE).key();
        ids.forEach(id -> assertThat(column(id, "vector_setting")).isEqualTo(key));
    }

    @Test
    void aSwitchEndsOnceThePairsInTheQueueHaveTheNewSetting() {
        List<UUID> ids = embeddedPairs(2);
        EmbeddingProperties changed = withTemplate(NEW_TEMPLATE);
        EmbeddingWorker next = newWorker(clock, changed);
        Reembedding pass = newReembedding(next, clock, changed);
        pass.begin(clock.instant());
        assertThat(pass.pollOnce()).as("the estimate").isEqualTo(2);
        // edited by a node of the old setting: queued, with the old setting's vector of its old text
        transactions.executeWithoutResult(tx -> {
            jdbc.sql("UPDATE qa_pair SET answer = 'edited' WHERE id = :id")
                    .param("id", ids.get(0))
                    .update();
            service.requestIfTextChanged(ids.get(0), "Switch 0?", "edited", clock.instant());
        });

        assertThat(pass.pollOnce())
                .as("the walk passes both, and leaves the queue's pair to the queue")
                .isEqualTo(2);
        assertThat(OPENAI.allInputs()).containsExactly(newText("Switch 1?", "answer 1"));
        assertThat(pass.pollOnce()).isZero();
        assertThat(pass.progress().state())
                .as("a vector of the old setting is still in the queue")
                .isEqualTo("RUNNING");

        assertThat(next.pollOnce()).isEqualTo(1);
        assertThat(pass.pollOnce()).isZero();
        assertThat(pass.progress().state())
                .as("counted again only after END_CHECK")
                .isEqualTo("RUNNING");
        clock.advance(Reembedding.END_CHECK);
        assertThat(pass.pollOnce()).isZero();
        assertThat(pass.progress().state()).isEqualTo("DONE");
        assertThat(column(ids.get(0), "vector_setting"))
                .isEqualTo(next.setting().key());
    }
}
