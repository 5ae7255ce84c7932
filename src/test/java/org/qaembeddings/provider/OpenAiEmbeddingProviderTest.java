package org.qaembeddings.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qaembeddings.support.FakeOpenAiServer;
import org.qaembeddings.support.FakeOpenAiServer.Reply;
import tools.jackson.databind.json.JsonMapper;

/** The openai provider against a real HTTP server on loopback that speaks the OpenAI wire format. */
class OpenAiEmbeddingProviderTest {

    private static final String KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123";
    private static final FakeOpenAiServer SERVER = new FakeOpenAiServer(4);
    private final JsonMapper json = JsonMapper.builder().build();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @BeforeEach
    void reset() {
        SERVER.reset();
    }

    @AfterEach
    void stubsDidNotFail() {
        SERVER.assertNoStubFailures();
    }

    private OpenAiEmbeddingProvider provider(String baseUrl, Integer dimensions, int maxInputTokens, Duration timeout) {
        OpenAiProperties properties = new OpenAiProperties(
                URI.create(baseUrl),
                KEY,
                "text-embedding-3-small",
                dimensions,
                maxInputTokens,
                300_000,
                Duration.ofSeconds(2),
                timeout,
                OpenAiProperties.EncodingFormat.BASE64);
        return new OpenAiEmbeddingProvider(
                properties,
                json,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(),
                Clock.systemUTC());
    }

    private OpenAiEmbeddingProvider provider() {
        return provider(SERVER.baseUrl(), 4, 8191, Duration.ofSeconds(5));
    }

    private ProviderException failure(String body, int status) {
        SERVER.behave(r -> Reply.json(status, body));
        return catchThrowableOfType(ProviderException.class, () -> provider().embed(List.of("a", "b")));
    }

    @Test
    void sendsOneRequestPerBatchAndOrdersVectorsByIndex() {
        ProviderResult result = provider().embed(List.of("first text", "second text", "third"));

        assertThat(SERVER.requests()).hasSize(1);
        FakeOpenAiServer.Request request = SERVER.requests().get(0);
        assertThat(request.inputs()).containsExactly("first text", "second text", "third");
        assertThat(request.model()).isEqualTo("text-embedding-3-small");
        assertThat(request.dimensions()).isEqualTo(4);
        assertThat(request.authorization()).isEqualTo("Bearer " + KEY);
        // the server answers in reverse order; the result follows the inputs
        assertThat(result.vectors().get(0)).containsExactly(FakeOpenAiServer.vectorFor("first text", 4));
        assertThat(result.vectors().get(2)).containsExactly(FakeOpenAiServer.vectorFor("third", 4));
        assertThat(result.promptTokens()).isEqualTo(5);
        assertThat(result.model()).isEqualTo("text-embedding-3-small");
    }

    @Test
    void asksForBase64AndReadsItExactly() {
        ProviderResult result = provider().embed(List.of("packed as float32", "second"));

        assertThat(SERVER.requests().get(0).encodingFormat()).isEqualTo("base64");
        assertThat(result.vectors().get(0)).containsExactly(FakeOpenAiServer.vectorFor("packed as float32", 4));
        assertThat(result.vectors().get(1)).containsExactly(FakeOpenAiServer.vectorFor("second", 4));
    }

    @Test
    void readsNumbersFromServersThatIgnoreTheEncodingFormat() {
        SERVER.behave(r -> SERVER.vectors(new FakeOpenAiServer.Request(r.inputs(), r.model(), null, null, "float")));

        ProviderResult result = provider().embed(List.of("answered as numbers"));

        assertThat(result.vectors().get(0)).containsExactly(FakeOpenAiServer.vectorFor("answered as numbers", 4));
    }

    @Test
    void invalidBase64AnswersAreRejected() {
        String ok = ",\"usage\":{\"prompt_tokens\":2}}";
        String nan = Base64.getEncoder()
                .encodeToString(ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(1)
                        .putFloat(Float.NaN)
                        .putFloat(1)
                        .putFloat(1)
                        .array());
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":\"AAAAAAAAAAAAAAAAAAAAAA==\"},"
                                        + "{\"index\":1,\"embedding\":\"%%%\"}]" + ok,
                                200)
                        .getMessage())
                .contains("neither numbers nor base64");
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":\"AAAAAAAAAAAAAAAAAAAAAA==\"},"
                                        + "{\"index\":1,\"embedding\":\"AAAA\"}]" + ok,
                                200)
                        .getMessage())
                .contains("not of float32 values");
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":\"AAAAAAAAAAAAAAAAAAAAAA==\"},"
                                        + "{\"index\":1,\"embedding\":\"" + nan + "\"}]" + ok,
                                200)
                        .getMessage())
                .contains("not finite");
    }

    @Test
    void shortTextsAreSentWithoutTokenizingAndBoundsHold() {
        OpenAiEmbeddingProvider provider = provider(SERVER.baseUrl(), 4, 10, Duration.ofSeconds(5));
        for (String text : List.of("ascii only", "naïve café", "数据库 索引", "emoji 😀 here", "x".repeat(10))) {
            assertThat(provider.maxTokensOf(text)).as(text).isGreaterThanOrEqualTo(provider.countTokens(text));
        }
        assertThat(provider.fit("x".repeat(10))).isEqualTo("x".repeat(10));
        assertThat(provider.countTokens(provider.fit("word ".repeat(40)))).isEqualTo(10);
    }

    @Test
    void longInputsAreCutByTokensNotCharacters() {
        String longText = "tokenization ".repeat(500);
        provider(SERVER.baseUrl(), 4, 50, Duration.ofSeconds(5)).embed(List.of(longText, "short"));

        List<String> sent = SERVER.requests().get(0).inputs();
        var cl100k = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        assertThat(cl100k.countTokens(sent.get(0))).isEqualTo(50);
        assertThat(longText).startsWith(sent.get(0));
        assertThat(sent.get(1)).isEqualTo("short");
    }

    @Test
    void wrongCountIsRejected() {
        SERVER.behave(r -> SERVER.vectors(
                new FakeOpenAiServer.Request(List.of("only one"), r.model(), null, null, r.encodingFormat())));
        ProviderException e =
                catchThrowableOfType(ProviderException.class, () -> provider().embed(List.of("a", "b")));
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.TRANSIENT);
        assertThat(e.getMessage()).contains("1 embeddings for 2 inputs");
    }

    @Test
    void wrongDimensionIsPermanent() {
        ProviderException e = catchThrowableOfType(
                ProviderException.class,
                () -> provider(SERVER.baseUrl(), 3, 8191, Duration.ofSeconds(5)).embed(List.of("a")));
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.PERMANENT);
        assertThat(e.getMessage()).contains("4 dimensions, expected 3");
    }

    @Test
    void knownModelDimensionIsCheckedWithoutConfiguration() {
        ProviderException e = catchThrowableOfType(
                ProviderException.class,
                () -> provider(SERVER.baseUrl(), null, 8191, Duration.ofSeconds(5))
                        .embed(List.of("a")));
        assertThat(e.getMessage()).contains("expected 1536");
    }

    @Test
    void invalidAnswersAreRejected() {
        String ok = "\"usage\":{\"prompt_tokens\":2}";
        assertThat(failure("not json at all", 200).getMessage()).contains("not JSON");
        assertThat(failure("{\"data\":\"nope\"," + ok + "}", 200).getMessage()).contains("no data array");
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4]},"
                                        + "{\"index\":0,\"embedding\":[1,2,3,4]}],"
                                        + ok + "}",
                                200)
                        .getMessage())
                .contains("out of range or repeated");
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4]},"
                                        + "{\"index\":1,\"embedding\":[1,2,1e400,4]}],"
                                        + ok + "}",
                                200)
                        .getMessage())
                .contains("not finite");
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4]},"
                                        + "{\"index\":1,\"embedding\":[1,2,\"x\",4]}],"
                                        + ok + "}",
                                200)
                        .getMessage())
                .contains("not a number");
        assertThat(failure(
                                "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4]},"
                                        + "{\"index\":1,\"embedding\":[1,2,NaN,4]}],"
                                        + ok + "}",
                                200)
                        .getMessage())
                .contains("not JSON");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                ",\"usage\":null",
                ",\"usage\":{}",
                ",\"usage\":{\"prompt_tokens\":-3}",
                ",\"usage\":{\"prompt_tokens\":2147483648}",
                ",\"usage\":{\"prompt_tokens\":99999999999999999999999}",
                ",\"usage\":{\"prompt_tokens\":1.5}",
                ",\"usage\":{\"prompt_tokens\":\"12\"}"
            })
    void absentOrInsaneTokenCountsAreCountedHereInsteadOfFailingTheCall(String usage) {
        List<String> texts = List.of("how many tokens are in this text?", "and in this one");
        SERVER.behave(r -> Reply.json(
                200,
                "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4]}," + "{\"index\":1,\"embedding\":[1,2,3,4]}]" + usage
                        + "}"));

        ProviderResult result = provider().embed(texts);

        var tokenizer = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        assertThat(result.promptTokens())
                .isEqualTo(tokenizer.countTokens(texts.get(0)) + tokenizer.countTokens(texts.get(1)))
                .isPositive();
    }

    @Test
    void theAnswersModelNameIsKeptSafe() {
        String vectors = "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4]}],\"usage\":{\"prompt_tokens\":1},\"model\":";
        SERVER.behave(r -> Reply.json(200, vectors + "\"text-embedding-ada-002-v2\"}"));
        assertThat(provider().embed(List.of("a")).model()).isEqualTo("text-embedding-ada-002-v2");
        SERVER.behave(r -> Reply.json(
                200, vectors + "\"evil\\r\\nINFO forged " + KEY.toUpperCase(Locale.ROOT) + "x".repeat(500) + "\"}"));
        String model = provider().embed(List.of("a")).model();
        assertThat(model)
                .doesNotContain("\r")
                .doesNotContain("\n")
                .doesNotContainIgnoringCase(KEY.substring(3))
                .hasSize(200);
        SERVER.behave(r -> Reply.json(200, vectors + "42}"));
        assertThat(provider().embed(List.of("a")).model())
                .as("no name: the model asked for")
                .isEqualTo("text-embedding-3-small");
    }

    @Test
    void providerErrorTextIsEscapedAndMaskedWhateverTheKeysSpelling() {
        for (String echo : List.of(
                KEY.toUpperCase(Locale.ROOT),
                KEY.substring(3),
                Base64.getEncoder().encodeToString(KEY.getBytes(StandardCharsets.UTF_8)),
                KEY.substring(8, 24))) {
            ProviderException e = failure(
                    "{\"error\":{\"message\":\"bad key " + echo + "\\r\\n2026-12-01 ERROR forged\\u001b[31m\"}}", 401);
            assertThat(e.getMessage())
                    .as(echo)
                    .doesNotContainIgnoringCase(echo)
                    .contains("***")
                    .doesNotContain("\r")
                    .doesNotContain("\n")
                    .doesNotContain("\u001b")
                    .contains("\\u000d\\u000a");
        }
    }

    /**
     * A raw socket server that answers every request 200 with a chunked body that never ends:
     * no HTTP library stands in for a provider this broken.
     */
    private static final class EndlessBodyServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0);
        private final Thread thread = new Thread(this::serve, "endless-body-server");
        private volatile long sent;

        EndlessBodyServer() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        String baseUrl() {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket client = socket.accept()) {
                    var in = new BufferedReader(
                            new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        // the request's headers; its body is never read, the answer starts at once
                    }
                    var out = client.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + "21\r\n{\"data\":[{\"index\":0,\"embedding\":[\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    byte[] chunk = ("4000\r\n" + "0.125,".repeat(0x4000 / 6) + "0.1,\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1);
                    while (true) {
                        out.write(chunk);
                        sent += chunk.length;
                    }
                } catch (IOException closedByTheClient) {
                    // the client stopped reading: wait for the next one
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void anEndlessAnswerIsCutAtItsLimitInsteadOfFillingTheHeap() throws Exception {
        try (EndlessBodyServer endless = new EndlessBodyServer()) {
            OpenAiEmbeddingProvider provider = provider(endless.baseUrl(), 4, 8191, Duration.ofSeconds(30));
            ProviderException e =
                    catchThrowableOfType(ProviderException.class, () -> provider.embed(List.of("a", "b")));
            assertThat(e.getMessage()).contains("longer than " + provider.answerLimit(2) + " bytes");
            assertThat(provider.answerLimit(2))
                    .as("two vectors of 4 values and their envelope")
                    .isLessThan(70_000);
        }
    }

    @Test
    void anOversizedAnswerIsRefusedWholeAndAnOversizedErrorStillSaysItsStatus() {
        StringBuilder huge = new StringBuilder("{\"data\":[{\"index\":0,\"embedding\":[");
        huge.append("0.5,".repeat(200_000))
                .append("0.5]},{\"index\":1,\"embedding\":[1,2,3,4]}],\"usage\":{\"prompt_tokens\":2}}");
        ProviderException big = failure(huge.toString(), 200);
        assertThat(big.getMessage()).contains("longer than");

        ProviderException error = failure("{\"error\":{\"message\":\"" + "x".repeat(1_000_000) + "\"}}", 500);
        assertThat(error.kind()).isEqualTo(ProviderException.Kind.TRANSIENT);
        assertThat(error.getMessage()).startsWith("HTTP 500 from provider").hasSizeLessThan(400);
    }

    @Test
    void redirectsAreNeverFollowedWithTheKey() {
        try (FakeOpenAiServer elsewhere = new FakeOpenAiServer(4)) {
            SERVER.behave(r -> Reply.json(307, "{}").withHeader("Location", elsewhere.baseUrl() + "/embeddings"));
            ProviderException e = catchThrowableOfType(
                    ProviderException.class, () -> provider().embed(List.of("a")));
            assertThat(e.getMessage()).contains("HTTP 307");
            assertThat(elsewhere.requests()).as("the key went nowhere else").isEmpty();
        }
    }

    @Test
    void rateLimitIsTransientAndCarriesRetryAfter() {
        SERVER.behave(
                r -> Reply.json(429, "{\"error\":{\"message\":\"slow down\"}}").withHeader("Retry-After", "7"));
        ProviderException e =
                catchThrowableOfType(ProviderException.class, () -> provider().embed(List.of("a")));
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.TRANSIENT);
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(e.getMessage()).contains("HTTP 429").contains("slow down");

        SERVER.behave(r -> Reply.json(429, "{}")
                .withHeader("x-ratelimit-reset-requests", "1m30s")
                .withHeader("x-ratelimit-reset-tokens", "250ms"));
        e = catchThrowableOfType(ProviderException.class, () -> provider().embed(List.of("a")));
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void waitsThatAreNotANumberADateOrADurationCountAsAbsent() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
        for (String garbage : List.of(
                "-5",
                "-0.5",
                "NaN",
                "Infinity",
                "-Infinity",
                "1e3",
                "0x10",
                "5s",
                "later",
                "",
                " ",
                "1d",
                "Mon, 99 Foo 2026 00:00:00 GMT")) {
            assertThat(OpenAiEmbeddingProvider.parseRetryAfter(garbage, clock))
                    .as(garbage)
                    .isNull();
        }
        assertThat(OpenAiEmbeddingProvider.parseRetryAfter("7", clock)).isEqualTo(Duration.ofSeconds(7));
        assertThat(OpenAiEmbeddingProvider.parseRetryAfter("0.25", clock)).isEqualTo(Duration.ofMillis(250));
        assertThat(OpenAiEmbeddingProvider.parseRetryAfter("Tue, 01 Dec 2026 11:00:00 GMT", clock))
                .as("in the past")
                .isZero();
        assertThat(OpenAiEmbeddingProvider.parseRetryAfter("Tue, 01 Dec 2026 12:00:30 GMT", clock))
                .isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void hugeWaitsAreCutToAYearHereAndNeverOverflow() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
        for (String huge : List.of("99999999", "9".repeat(40), "Fri, 31 Dec 9999 23:59:59 GMT")) {
            assertThat(OpenAiEmbeddingProvider.parseRetryAfter(huge, clock))
                    .as(huge)
                    .isEqualTo(OpenAiEmbeddingProvider.LONGEST_WAIT);
        }
        for (String huge : List.of("99999h", "9".repeat(400) + "h", "999999999999999999m0s")) {
            assertThat(OpenAiEmbeddingProvider.parseResetDuration(huge))
                    .as(huge)
                    .isEqualTo(OpenAiEmbeddingProvider.LONGEST_WAIT);
        }
        assertThat(OpenAiEmbeddingProvider.parseResetDuration("-5s")).isNull();
    }

    @Test
    void resetDurationsParse() {
        assertThat(OpenAiEmbeddingProvider.parseResetDuration("20ms")).isEqualTo(Duration.ofMillis(20));
        assertThat(OpenAiEmbeddingProvider.parseResetDuration("6m0s")).isEqualTo(Duration.ofMinutes(6));
        assertThat(OpenAiEmbeddingProvider.parseResetDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(OpenAiEmbeddingProvider.parseResetDuration("soon")).isNull();
        assertThat(OpenAiEmbeddingProvider.parseResetDuration("")).isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 409, 500, 502, 503, 504})
    void serverErrorsAreTransient(int status) {
        assertThat(failure("{\"error\":{\"message\":\"try later\"}}", status).kind())
                .isEqualTo(ProviderException.Kind.TRANSIENT);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 422})
    void clientErrorsArePermanent(int status) {
        ProviderException e = failure("<html>gateway page</html>", status);
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.PERMANENT);
        assertThat(e.getMessage()).isEqualTo("HTTP " + status + " from provider");
    }

    @Test
    void apiKeyNeverAppearsInErrors() {
        ProviderException e = failure(
                "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY
                        + ". Also sk-other-leaked-key-999999 is wrong.\"}}",
                401);
        assertThat(e.getMessage())
                .doesNotContain(KEY)
                .doesNotContain("sk-other-leaked-key-999999")
                .contains("***");
        assertThat(new OpenAiProperties(
                                URI.create("http://x"),
                                KEY,
                                "m",
                                null,
                                1,
                                1,
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(1),
                                OpenAiProperties.EncodingFormat.FLOAT)
                        .toString())
                .doesNotContain(KEY);
    }

    @Test
    void timeoutIsTransient() {
        SERVER.behave(r -> SERVER.vectors(r).after(Duration.ofSeconds(3)));
        ProviderException e = catchThrowableOfType(
                ProviderException.class,
                () -> provider(SERVER.baseUrl(), 4, 8191, Duration.ofMillis(300))
                        .embed(List.of("a")));
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.TRANSIENT);
        assertThat(e.getMessage()).contains("timed out");
    }

    @Test
    void slowBodyIsCutAtTheTimeout() {
        SERVER.behave(r -> SERVER.vectors(r).withSlowBody(Duration.ofSeconds(30)));
        long started = System.nanoTime();
        ProviderException e = catchThrowableOfType(
                ProviderException.class,
                () -> provider(SERVER.baseUrl(), 4, 8191, Duration.ofMillis(300))
                        .embed(List.of("a")));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.TRANSIENT);
        assertThat(e.getMessage()).contains("timed out");
        assertThat(took)
                .as("the timeout covers the whole answer, body included: far less than the body's 30 s")
                .isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void refusedConnectionIsTransient() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ProviderException e = catchThrowableOfType(
                ProviderException.class,
                () -> provider("http://127.0.0.1:" + closedPort + "/v1", 4, 8191, Duration.ofSeconds(2))
                        .embed(List.of("a")));
        assertThat(e.kind()).isEqualTo(ProviderException.Kind.TRANSIENT);
        assertThat(e.getMessage()).contains("unreachable");
    }
}
