package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.provider.Float32;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A provider that misbehaves in every way a real one has: rate limits with Retry-After, 500 and
 * 503 storms, timeouts, bodies sent too slowly, malformed JSON, the wrong number of vectors, the
 * wrong dimension, NaN values. Three minutes of it (test time, polled every 500 ms), then it heals.
 * Nothing invalid is written, no call goes out before a Retry-After has passed, no row is tried
 * more than max-retries times, and once healed every row that may still be retried completes with
 * no operator.
 */
@Tag("single-database")
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.batch-size=5",
            "embedding.max-retries=8",
            "embedding.retry.base-delay=1s",
            "embedding.retry.max-delay=8s",
            "embedding.circuit.open-for=2s",
            "embedding.circuit.max-open-for=20s",
            "embedding.openai.timeout=1s"
        })
class ProviderFaultsTest extends ClockDrivenTest {

    private static final long SEED = 5;
    private static final int PAIRS = 200;
    private static final Duration RETRY_AFTER = Duration.ofSeconds(3);
    /**
     * Longer than the client's timeout. The timeout is not shorter because this JVM runs the client
     * and the stand-in: a pause of the JVM longer than the timeout (a collection under a loaded CI)
     * makes the client give up on a request the stand-in still answers and records, and a 429 the
     * node never received would then be held against it.
     */
    private static final Duration TOO_SLOW = Duration.ofMillis(1200);

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> KINDS = List.of(
            "ok",
            "ok",
            "ok",
            "429",
            "500",
            "503",
            "timeout",
            "slow-body",
            "malformed",
            "wrong-count",
            "nan",
            "wrong-dimension");

    /** One provider request: when it arrived and what it was answered. */
    private record Call(Instant at, String kind) {}

    List<Call> calls;

    @BeforeEach
    void calls() {
        calls = new CopyOnWriteArrayList<>();
    }

    private FakeOpenAiServer.Reply chaos(FakeOpenAiServer.Request request, String kind) {
        FakeOpenAiServer.Reply good = OPENAI.vectors(request);
        return switch (kind) {
            case "429" ->
                FakeOpenAiServer.Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\"}}")
                        .withHeader("Retry-After", Long.toString(RETRY_AFTER.toSeconds()));
            case "500", "503" ->
                FakeOpenAiServer.Reply.json(Integer.parseInt(kind), "{\"error\":{\"message\":\"overloaded\"}}");
            case "timeout" -> good.after(TOO_SLOW);
            case "slow-body" -> good.withSlowBody(TOO_SLOW);
            case "malformed" ->
                FakeOpenAiServer.Reply.json(
                        200, good.body().substring(0, good.body().length() / 2));
            case "wrong-count" -> {
                ObjectNode root = (ObjectNode) JSON.readTree(good.body());
                ((ArrayNode) root.path("data")).remove(0);
                yield FakeOpenAiServer.Reply.json(200, JSON.writeValueAsString(root));
            }
            case "nan" -> withVector(good, 0, nanVector());
            case "wrong-dimension" -> withVector(good, -1, new float[DIMENSIONS + 1]);
            default -> good;
        };
    }

    /** The good answer with the vector at {@code index} replaced (every vector when -1), base64 as asked for. */
    private static FakeOpenAiServer.Reply withVector(FakeOpenAiServer.Reply good, int index, float[] vector) {
        ObjectNode root = (ObjectNode) JSON.readTree(good.body());
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        String encoded = Base64.getEncoder().encodeToString(bytes.array());
        root.path("data").forEach(item -> {
            if (index == -1 || item.path("index").asInt() == index) {
                ((ObjectNode) item).put("embedding", encoded);
            }
        });
        return FakeOpenAiServer.Reply.json(200, JSON.writeValueAsString(root));
    }

    private static float[] nanVector() {
        float[] v = new float[DIMENSIONS];
        v[DIMENSIONS / 2] = Float.NaN;
        return v;
    }

    private void insertPairs() {
        for (int i = 0; i < PAIRS; i++) {
            insertPair("Chaos question " + i + "?", "a");
        }
    }

    private void runFor(Duration span) {
        runFor(span, Duration.ofMillis(500));
    }

    @Test
    void misbehavingProviderWritesNothingInvalidAndHealedRowsCompleteUnaided() {
        insertPairs();
        Random random = new Random(SEED);
        OPENAI.behave(request -> {
            String kind = KINDS.get(random.nextInt(KINDS.size()));
            calls.add(new Call(clock.instant(), kind));
            return chaos(request, kind);
        });
        runFor(Duration.ofMinutes(3));
        Map<String, Integer> byKind = new TreeMap<>();
        calls.forEach(c -> byKind.merge(c.kind(), 1, Integer::sum));

        OPENAI.behave(request -> {
            calls.add(new Call(clock.instant(), "ok"));
            return OPENAI.vectors(request);
        });
        runFor(Duration.ofMinutes(5));

        // no call before a Retry-After has passed (the calls are sequential: one poll at a time)
        for (int i = 0; i + 1 < calls.size(); i++) {
            if (calls.get(i).kind().equals("429")) {
                assertThat(calls.get(i + 1).at())
                        .as("call after the 429 at " + calls.get(i).at())
                        .isAfterOrEqualTo(calls.get(i).at().plus(RETRY_AFTER));
            }
        }
        List<Map<String, Object>> rows = jdbc.sql("""
                SELECT p.question, e.status, e.attempts, e.error_kind, e.dimensions, e.vector
                  FROM qa_pair p JOIN qa_embedding e ON e.qa_pair_id = p.id""").query().listOfRows();
        int completed = 0;
        int deadLetters = 0;
        List<String> notFinished = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            int attempts = ((Number) row.get("attempts")).intValue();
            assertThat(attempts).as("attempts of " + row.get("question")).isLessThanOrEqualTo(properties.maxRetries());
            if ("COMPLETED".equals(row.get("status"))) {
                completed++;
                float[] expected =
                        FakeOpenAiServer.vectorFor("Question: " + row.get("question") + "\nAnswer: a", DIMENSIONS);
                assertThat(Float32.decode((byte[]) row.get("vector")))
                        .as("vector of " + row.get("question"))
                        .containsExactly(expected);
            } else if ("FAILED".equals(row.get("status"))
                    && ("PERMANENT".equals(row.get("error_kind")) || attempts >= properties.maxRetries())) {
                deadLetters++;
            } else {
                notFinished.add(row.get("question") + " " + row.get("status") + " after " + attempts);
            }
        }
        assertThat(notFinished).as("rows still retryable after healing").isEmpty();
        assertThat(byKind.keySet()).as("every fault was injected").containsAll(KINDS);
        // a fault drawn at random is the provider's, not a row's: the probe beside a garbled call is
        // answered as often as not, so a row is charged only when faults hit it alone again and again
        assertThat(completed).isGreaterThanOrEqualTo(PAIRS * 95 / 100);
        assertThat(completed + deadLetters)
                .as("every pair embedded or a dead letter")
                .isEqualTo(PAIRS);
    }
}
