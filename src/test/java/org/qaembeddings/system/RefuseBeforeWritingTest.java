package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qaembeddings.support.Api.assertProblem;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * A refusal changes nothing: content negotiation, the path's form and the body's encoding are
 * judged before any transaction. Every write endpoint the router knows is tried with Accept values
 * it cannot serve, and the database and the provider are checked untouched.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {"embedding.worker-enabled=false", "security.rate-limit.writes-per-second=0"})
class RefuseBeforeWritingTest extends DatabaseTest {

    private static final List<String> UNSERVABLE = List.of(
            "application/xml", "text/html", "text/plain", "image/png", "application/json;q=0", "not a media type");
    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    /** Every write endpoint of the API, as "METHOD /pattern", read from the router itself. */
    private Set<String> writeEndpoints() {
        Set<String> endpoints = new LinkedHashSet<>();
        mappings.getHandlerMethods()
                .keySet()
                .forEach(info -> info.getMethodsCondition().getMethods().stream()
                        .map(RequestMethod::name)
                        .filter(WRITES::contains)
                        .forEach(method -> info.getPatternValues().stream()
                                .filter(p -> p.startsWith("/api/"))
                                .forEach(pattern -> endpoints.add(method + " " + pattern))));
        return endpoints;
    }

    private Api.Response send(String method, String path, String accept, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .method(
                        method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return api.send(request);
    }

    @Test
    void everyWriteEndpointRefusesAnAcceptItCannotServeAndChangesNothing() {
        String id = api.create("The question?", "The answer.");
        String failed = api.create("A failing question?", "Its answer.");
        // a row the retry endpoint would take, were it let through
        jdbc.sql("UPDATE qa_embedding SET status = 'FAILED', attempts = 1, last_error = 'x', error_kind = 'TRANSIENT', "
                        + "next_attempt_at = :past WHERE qa_pair_id = :id")
                .param("past", Timestamp.valueOf("2020-01-01 00:00:00"))
                .param("id", UUID.fromString(failed))
                .update();
        String pair = Api.pairJson("Another question?", "Another answer.");
        Map<String, Api.Response> tried = new TreeMap<>();
        Map<String, String> bodies = Map.of(
                "POST /api/qa-pairs",
                pair,
                "PUT /api/qa-pairs/{id}",
                pair,
                "DELETE /api/qa-pairs/{id}",
                "",
                "POST /api/embeddings/batch",
                "{\"qaPairIds\":[\"" + id + "\"]}",
                "POST /api/embeddings/retry",
                "{\"maxRetries\":5}",
                "POST /api/embeddings/reembed",
                "");
        // a re-embed the approval would start, were it let through
        String setting =
                api.get("/api/embeddings/reembed").json().path("to").path("key").asString();
        jdbc.sql("INSERT INTO embedding_switch (to_setting, state, pairs, started_at) "
                        + "VALUES (:to, 'AWAITING_APPROVAL', 1, :now)")
                .param("to", setting)
                .param("now", Timestamp.valueOf("2026-01-01 00:00:00"))
                .update();
        assertThat(bodies.keySet())
                .as("this test knows every write endpoint")
                .containsExactlyInAnyOrderElementsOf(writeEndpoints());
        String before = snapshot();

        for (String endpoint : bodies.keySet()) {
            String method = endpoint.substring(0, endpoint.indexOf(' '));
            String path = endpoint.substring(endpoint.indexOf(' ') + 1).replace("{id}", id);
            for (String accept : UNSERVABLE) {
                Api.Response r =
                        send(method, path, accept, bodies.get(endpoint).isEmpty() ? null : bodies.get(endpoint));
                tried.put(endpoint + " Accept: " + accept, r);
                assertProblem(r, 406);
                assertThat(r.header("Location")).as(endpoint).isNull();
            }
        }
        assertThat(tried).hasSize(bodies.size() * UNSERVABLE.size());
        assertThat(snapshot()).as("nothing changed").isEqualTo(before);
        assertThat(OPENAI.requests()).as("nothing was embedded nor billed").isEmpty();
    }

    @Test
    void acceptValuesThatAdmitJsonAreServed() {
        for (String accept : List.of(
                "application/json",
                "*/*",
                "application/*",
                "application/problem+json",
                "text/html, application/json;q=0.5",
                "application/json;charset=UTF-8")) {
            Api.Response r = send("POST", "/api/qa-pairs", accept, Api.pairJson("Accept " + accept + "?", "yes"));
            assertThat(r.status()).as(accept).isEqualTo(201);
        }
        assertThat(pairs()).isEqualTo(6);
    }

    @Test
    void pathsTheFilterAndTheRouterCouldReadDifferentlyAreRefusedWithoutAStackTrace(CapturedOutput output)
            throws IOException {
        String id = api.create("The question?", "The answer.");
        List<String> paths = List.of(
                "/actuator/health/../x",
                "/actuator/health/..",
                "/api/qa-pairs/../qa-pairs",
                "/api/./qa-pairs",
                "/api/%2e%2e/api/qa-pairs",
                "/api/qa-pairs/%2E/" + id,
                "/api/qa-pairs;jsessionid=1",
                "/api/qa-pairs/" + id + ";x=1",
                "/api/qa-pairs/..;/embeddings/failed",
                "/api/embeddings%2ffailed",
                "/api/embeddings%5Cfailed",
                "/api/embeddings\\failed",
                "/api//qa-pairs",
                "/api/qa-pairs/%3B",
                "/api/qa-pairs/%00",
                "/api/qa-pairs/%zz",
                "/api/qa-pairs/%c0%af",
                "/..",
                "/api/../..");
        for (String path : paths) {
            for (String method : List.of("GET", "DELETE")) {
                RawResponse r = raw(method, path);
                assertThat(r.status()).as(method + " " + path).isEqualTo(400);
                assertThat(r.contentType()).as(method + " " + path).startsWith("application/problem+json");
                assertThat(r.body())
                        .as(method + " " + path)
                        .contains("\"status\":400")
                        .contains("\"type\":\"about:blank\"");
            }
        }
        assertThat(pairs()).isEqualTo(1);
        assertThat(api.get("/api/qa-pairs/" + id).status()).isEqualTo(200);
        assertThat(output.getAll()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    record RawResponse(int status, String contentType, String body) {}

    /** One request written byte for byte, for paths no URI class would let through unchanged. */
    private RawResponse raw(String method, String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String contentType = response.lines()
                    .takeWhile(l -> !l.isEmpty())
                    .filter(l -> l.regionMatches(true, 0, "Content-Type:", 0, 13))
                    .map(l -> l.substring(13).trim())
                    .findFirst()
                    .orElse("");
            return new RawResponse(status, contentType, response.substring(response.indexOf("\r\n\r\n") + 4));
        }
    }

    @Test
    void bodiesThatAreNotUtf8AreRefused() {
        // "/" written as the overlong two-byte form C0 AF, which a lax decoder reads as a slash
        byte[] overlong = bytes("{\"question\":\"a", 0xC0, 0xAF, "b?\",\"answer\":\"a\"}");
        // a surrogate encoded on its own (CESU-8), and a stray continuation byte
        byte[] cesu = bytes("{\"question\":\"a", 0xED, 0xA0, 0x80, "?\",\"answer\":\"a\"}");
        byte[] stray = bytes("{\"question\":\"a", 0x80, "?\",\"answer\":\"a\"}");
        for (byte[] body : List.of(overlong, cesu, stray)) {
            assertProblem(api.send("POST", "/api/qa-pairs", body, "application/json"), 400);
        }
        assertThat(pairs()).isZero();
    }

    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            } else {
                out.write((Integer) part);
            }
        }
        return out.toByteArray();
    }

    /** Everything a write could change, as text. */
    private String snapshot() {
        return jdbc.sql("SELECT p.id, p.question, p.answer, p.updated_at, "
                                + "e.status, e.attempts, e.text_hash, e.updated_at "
                                + "FROM qa_pair p JOIN qa_embedding e ON e.qa_pair_id = p.id ORDER BY p.id")
                        .query()
                        .listOfRows()
                        .toString()
                + jdbc.sql("SELECT status, SUM(n) FROM qa_embedding_count GROUP BY status ORDER BY status")
                        .query()
                        .listOfRows()
                + jdbc.sql("SELECT COUNT(*) FROM embedding_cost")
                        .query(Long.class)
                        .single()
                + jdbc.sql("SELECT id, state FROM embedding_switch ORDER BY id")
                        .query()
                        .listOfRows();
    }
}
