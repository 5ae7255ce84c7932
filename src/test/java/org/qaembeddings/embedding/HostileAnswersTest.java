package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qaembeddings.support.FakeOpenAiServer.Reply;
import org.qaembeddings.support.FakeOpenAiServer.Request;
import org.springframework.test.context.TestPropertySource;

/**
 * Answers with no usable vectors are the provider's condition when it gives them to every
 * request, and a row's fault when only the row's own calls get them: the probe beside a failed
 * call tells the two apart. The node keeps serving saves and reads throughout.
 */
@Tag("single-database")
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.max-retries=3",
            "embedding.retry.base-delay=2s",
            "embedding.retry.max-delay=60s"
        })
class HostileAnswersTest extends ClockDrivenTest {

    private static final int PAIRS = 20;

    static Stream<Arguments> answersWithNoUsableVectors() {
        Function<Request, Reply> endless = request -> Reply.endless();
        Function<Request, Reply> oversized = request ->
                Reply.json(200, "{\"data\":[{\"index\":0,\"embedding\":[" + "0.25,".repeat(1_000_000) + "0.5]}]}");
        Function<Request, Reply> malformed = request -> Reply.json(200, "{\"data\": \"garbled\"}");
        Function<Request, Reply> wrongCount = request -> Reply.json(200, "{\"data\": []}");
        Function<Request, Reply> notFinite = request -> {
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < request.inputs().size(); i++) {
                data.append(i == 0 ? "" : ",")
                        .append("{\"index\":")
                        .append(i)
                        .append(",\"embedding\":[")
                        .append("0.1,".repeat(DIMENSIONS - 1))
                        .append("1e999]}");
            }
            return Reply.json(200, "{\"data\":[" + data + "]}");
        };
        return Stream.of(
                Arguments.of("an endless body", endless),
                Arguments.of("a vector of a million numbers", oversized),
                Arguments.of("malformed", malformed),
                Arguments.of("no vectors", wrongCount),
                Arguments.of("values that overflow a float", notFinite));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answersWithNoUsableVectors")
    void aProviderThatAnswersEveryCallWithNoUsableVectorsPausesTheNodeAndChargesNoRow(
            String what, Function<Request, Reply> answer) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            ids.add(insertPair("Hostile " + i + "?", "a"));
        }
        provider(answer);

        runFor(Duration.ofMinutes(10), Duration.ofSeconds(1));

        // the batch, its four parts and the probe; then one call per pause: 2, 3, 5, 9, 17 s, then
        // 31 s (the backoff to 60 s with the jitter drawn at 0.5), 23 pauses in all
        assertThat(requestTimes.size()).as("calls in 10 minutes").isEqualTo(6 + 23);
        assertThat(rowsWithStatus("FAILED"))
                .as("no row is failed for the provider's answers")
                .isZero();
        assertThat(jdbc.sql("SELECT SUM(attempts) FROM qa_embedding")
                        .query(Integer.class)
                        .single())
                .isZero();
        assertThat(service.getHealthStats().pausedReason())
                .contains("no usable vectors")
                .contains("no rows are failed");
        assertThat(api.create("Still saved while the provider misbehaves?", "yes"))
                .isNotBlank();
        assertThat(api.get("/api/qa-pairs/" + ids.get(0)).status()).isEqualTo(200);

        provider(OPENAI::vectors);
        runFor(Duration.ofSeconds(61), Duration.ofSeconds(1));

        for (UUID id : ids) {
            EmbeddingDetail detail = reads.findDetail(id).orElseThrow();
            assertThat(detail.status())
                    .as("every pair, once the provider is back")
                    .isEqualTo(EmbeddingStatus.COMPLETED);
            assertThat(detail.attempts()).isEqualTo(1);
        }
    }

    @Test
    void aTextWhoseOwnCallsAreGarbledIsChargedAndTheOthersAreSaved() {
        for (int i = 0; i < PAIRS; i++) {
            insertPair("Fine " + i + "?", "a");
        }
        UUID poison = insertPair("Poison?", "an answer the provider garbles");
        provider(request -> request.inputs().stream().anyMatch(t -> t.contains("the provider garbles"))
                ? Reply.json(200, "{\"data\": \"garbled\"}")
                : OPENAI.vectors(request));

        worker.pollOnce();

        assertThat(rowsWithStatus("COMPLETED")).isEqualTo(PAIRS);
        EmbeddingDetail detail = reads.findDetail(poison).orElseThrow();
        assertThat(detail.status()).isEqualTo(EmbeddingStatus.FAILED);
        assertThat(detail.attempts()).isEqualTo(1);
        assertThat(detail.lastError()).contains("invalid provider response");
        // the batch, up to four parts, then halving the part that holds the poison (21 rows: 5 or 6)
        assertThat(requestTimes.size())
                .as("calls to isolate one garbled text among 21")
                .isLessThanOrEqualTo(1 + 4 + 2 * 3);

        runFor(Duration.ofMinutes(5), Duration.ofSeconds(1));

        // alone, each retry is judged by the probe beside it: answered, so the row is charged again
        detail = reads.findDetail(poison).orElseThrow();
        assertThat(detail.attempts()).isEqualTo(3);
        assertThat(service.getHealthStats().deadLetterCount()).isEqualTo(1);
        assertThat(service.getHealthStats().pausedReason()).isNull();
    }
}
