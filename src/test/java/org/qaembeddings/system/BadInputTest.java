package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qaembeddings.support.Api.assertProblem;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.test.context.TestPropertySource;

/**
 * Bad input of every kind gets a 4xx problem, changes nothing, and the server keeps serving; a
 * fuzz run throws thousands of generated bodies at the write endpoints. (QaApiTest and
 * BatchEmbeddingTest cover the plainer cases: sizes, types, unknown fields and ids.)
 */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "security.rate-limit.writes-per-second=0"})
class BadInputTest extends DatabaseTest {

    /** Fixed, so that a failure can be replayed; printed with every failure. */
    private static final long SEED = 20261129L;

    private static final int FUZZ_BODIES = 3000;

    private Api.Response sendJson(String method, String path, String body) {
        return api.send(method, path, body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    @Test
    void deeplyNestedJsonIsRefused() {
        String arrays = "{\"question\":" + "[".repeat(5000) + "]".repeat(5000) + ",\"answer\":\"a\"}";
        String objects =
                "{\"question\":\"q?\",\"answer\":\"a\",\"x\":" + "{\"a\":".repeat(3000) + "1" + "}".repeat(3000) + "}";
        assertProblem(sendJson("POST", "/api/qa-pairs", arrays), 400);
        assertProblem(sendJson("POST", "/api/qa-pairs", objects), 400);
        assertProblem(
                sendJson(
                        "POST", "/api/embeddings/batch", "{\"qaPairIds\":" + "[".repeat(5000) + "]".repeat(5000) + "}"),
                400);
        assertThat(pairs()).isZero();
    }

    @Test
    void invalidUtf8AndRawControlCharactersAreRefused() {
        byte[] invalid = "{\"question\":\"caf\u00e9?\",\"answer\":\"a\"}".getBytes(StandardCharsets.UTF_8);
        invalid[16] = (byte) 0xC3; // a lead byte followed by an ASCII quote: not UTF-8
        invalid[17] = (byte) 0x28;
        assertThat(api.send("POST", "/api/qa-pairs", invalid, "application/json")
                        .status())
                .isBetween(400, 499);
        byte[] lone = {
            '{',
            '"',
            'q',
            'u',
            'e',
            's',
            't',
            'i',
            'o',
            'n',
            '"',
            ':',
            '"',
            (byte) 0xFF,
            (byte) 0xFE,
            '"',
            ',',
            '"',
            'a',
            'n',
            's',
            'w',
            'e',
            'r',
            '"',
            ':',
            '"',
            'a',
            '"',
            '}'
        };
        assertThat(api.send("POST", "/api/qa-pairs", lone, "application/json").status())
                .isBetween(400, 499);
        // a raw (unescaped) control character inside a JSON string is not JSON
        assertProblem(sendJson("POST", "/api/qa-pairs", "{\"question\":\"tab\u0001?\",\"answer\":\"a\"}"), 400);
        // escaped, it is JSON, and the validation refuses it
        assertProblem(sendJson("POST", "/api/qa-pairs", "{\"question\":\"nul\\u0000?\",\"answer\":\"a\"}"), 422);
        // half a surrogate pair cannot be stored as UTF-8; a whole pair can
        assertProblem(sendJson("POST", "/api/qa-pairs", "{\"question\":\"half \\ud800 pair?\",\"answer\":\"a\"}"), 422);
        assertProblem(sendJson("POST", "/api/qa-pairs", "{\"question\":\"q?\",\"answer\":\"low \\udc00 half\"}"), 422);
        assertThat(sendJson("POST", "/api/qa-pairs", "{\"question\":\"whole \\ud83d\\ude00 pair?\",\"answer\":\"a\"}")
                        .status())
                .isEqualTo(201);
        assertThat(pairs()).isEqualTo(1);
    }

    @Test
    void textsOfOnlyInvisibleCharactersAreBlank() {
        List<String> blanks = List.of(
                "\u00a0\u00a0",
                "\u200b",
                "\u200b\u200c\u200d\u2060\ufeff",
                "\u3000 \u2003\t",
                "\u2028\u2029",
                "\u180e\u00ad",
                "\u3164\u115f",
                "\u2800",
                " \n\r\t");
        for (String blank : blanks) {
            Api.Response question = sendJson("POST", "/api/qa-pairs", Api.pairJson(blank, "an answer"));
            assertProblem(question, 422);
            assertThat(question.json().path("errors").get(0).path("field").asString())
                    .isEqualTo("question");
            assertThat(question.json().path("errors").get(0).path("message").asString())
                    .contains("blank");
            assertProblem(sendJson("POST", "/api/qa-pairs", Api.pairJson("a question?", blank)), 422);
        }
        assertThat(pairs()).isZero();
        // invisible characters beside visible ones are text
        assertThat(sendJson("POST", "/api/qa-pairs", Api.pairJson("non\u00a0breaking?", "zero\u200bwidth"))
                        .status())
                .isEqualTo(201);
    }

    @Test
    void c1ControlCharactersAreRefusedLikeC0() {
        for (String control : List.of("\u0080", "\u0085", "\u009b", "\u009f", "\u007f")) {
            assertProblem(sendJson("POST", "/api/qa-pairs", Api.pairJson("csi " + control + "31m?", "a")), 422);
            assertProblem(sendJson("POST", "/api/qa-pairs", Api.pairJson("q?", "csi " + control + "31m")), 422);
        }
        assertThat(pairs()).isZero();
        assertThat(sendJson("POST", "/api/qa-pairs", Api.pairJson("latin \u00a0\u00e9\u00ff?", "a"))
                        .status())
                .isEqualTo(201);
    }

    @Test
    void duplicateJsonKeysAreRefusedNamingTheField() {
        Api.Response twice = sendJson(
                "POST", "/api/qa-pairs", "{\"question\":\"first?\",\"answer\":\"a\",\"question\":\"second?\"}");
        assertProblem(twice, 400);
        assertThat(twice.json().path("detail").asString()).contains("'question'");
        String id = api.create("The question?", "The answer.");
        assertProblem(
                sendJson("PUT", "/api/qa-pairs/" + id, "{\"question\":\"q?\",\"answer\":\"a\",\"answer\":\"b\"}"), 400);
        assertProblem(
                sendJson("POST", "/api/embeddings/batch", "{\"qaPairIds\":[],\"qaPairIds\":[\"" + id + "\"]}"), 400);
        assertProblem(sendJson("POST", "/api/embeddings/retry", "{\"maxRetries\":1,\"maxRetries\":9}"), 400);
        assertThat(pairs()).isEqualTo(1);
        assertThat(api.get("/api/qa-pairs/" + id).json().path("question").asString())
                .isEqualTo("The question?");
    }

    @Test
    void wrongMediaTypesAndEmptyBodiesAreRefused() {
        byte[] pair = Api.pairJson("q?", "a").getBytes(StandardCharsets.UTF_8);
        assertProblem(api.send("POST", "/api/qa-pairs", pair, "text/plain"), 415);
        assertProblem(api.send("POST", "/api/qa-pairs", pair, "application/xml"), 415);
        assertProblem(api.send("POST", "/api/qa-pairs", new byte[0], "application/json"), 400);
        assertProblem(sendJson("POST", "/api/qa-pairs", "null"), 400);
        assertThat(pairs()).isZero();
    }

    @Test
    void hugeNumbersAndIdsAreRefused() {
        assertProblem(api.get("/api/qa-pairs?page=99999999999999999999999999"), 400);
        assertProblem(api.get("/api/qa-pairs?size=2147483648"), 400);
        assertProblem(api.get("/api/qa-pairs?page=1e3"), 400);
        assertProblem(api.get("/api/embeddings/failed?size=100000"), 400);
        assertProblem(sendJson("POST", "/api/embeddings/retry", "{\"maxRetries\":99999999999999999999}"), 400);
        assertProblem(sendJson("POST", "/api/embeddings/batch", "{\"qaPairIds\":[\"not-a-uuid\"]}"), 400);
        assertProblem(
                sendJson("POST", "/api/embeddings/batch", "{\"qaPairIds\":[\"" + "f".repeat(10_000) + "\"]}"), 400);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            ids.add("\"" + UUID.randomUUID() + "\"");
        }
        assertProblem(
                sendJson("POST", "/api/embeddings/batch", "{\"qaPairIds\":[" + String.join(",", ids) + "]}"), 400);
    }

    @Test
    void unknownRoutesMethodsAndPathTricksAreProblems() {
        assertProblem(api.get("/api/qa-pairs/"), 404);
        assertProblem(api.get("/api/../api/qa-pairs/x"), 400);
        assertProblem(sendJson("DELETE", "/api/qa-pairs", "{}"), 405);
        assertProblem(sendJson("PUT", "/api/embeddings/health", "{}"), 405);
        assertProblem(api.get("/api/embeddings/batch"), 405);
        assertThat(api.get("/api/qa-pairs").status()).isEqualTo(200);
    }

    /**
     * Thousands of generated bodies, mutations of valid ones, at every write endpoint: never a 5xx,
     * a problem body for every refusal, and the database holds exactly what was accepted.
     */
    @Test
    void fuzzedWritesNeverFailTheServerNorCorruptTheDatabase() {
        Random random = new Random(SEED);
        String id = api.create("The original question?", "The original answer.");
        String expectedQuestion = "The original question?";
        String expectedAnswer = "The original answer.";
        int created = 0;
        TreeMap<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < FUZZ_BODIES; i++) {
            String body = FuzzBodies.next(random);
            int endpoint = random.nextInt(4);
            String method = endpoint == 1 ? "PUT" : "POST";
            String path = switch (endpoint) {
                case 0 -> "/api/qa-pairs";
                case 1 -> "/api/qa-pairs/" + id;
                case 2 -> "/api/embeddings/batch";
                default -> "/api/embeddings/retry";
            };
            Api.Response r = sendJson(method, path, body);
            statuses.merge(r.status(), 1, Integer::sum);
            String where = "body #" + i + " (seed " + SEED + ") to " + method + " " + path + ": " + abbreviate(body);
            assertThat(r.status()).as(where).isLessThan(500);
            if (r.status() >= 400) {
                assertThat(r.header("Content-Type")).as(where).startsWith("application/problem+json");
            } else if (endpoint == 0) {
                assertThat(r.status()).as(where).isEqualTo(201);
                created++;
                assertThat(api.get("/api/qa-pairs/" + r.json().path("id").asString())
                                .json()
                                .path("question"))
                        .as(where)
                        .isEqualTo(r.json().path("question"));
            } else if (endpoint == 1) {
                expectedQuestion = r.json().path("question").asString();
                expectedAnswer = r.json().path("answer").asString();
            }
        }

        assertThat(pairs()).isEqualTo(1 + created);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM qa_embedding")
                        .query(Long.class)
                        .single())
                .isEqualTo(1 + created);
        Api.Response original = api.get("/api/qa-pairs/" + id);
        assertThat(original.json().path("question").asString()).isEqualTo(expectedQuestion);
        assertThat(original.json().path("answer").asString()).isEqualTo(expectedAnswer);
        assertThat(statuses.keySet()).as("the generator reaches both outcomes").contains(201, 400);
        assertThat(api.get("/api/embeddings/health").status()).isEqualTo(200);
    }

    private static String abbreviate(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
