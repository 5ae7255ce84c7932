package org.qaembeddings.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A real HTTP server on loopback that speaks OpenAI's {@code POST /v1/embeddings}. By default it
 * answers each input with {@link #vectorFor(String, int)}, a unit vector that depends only on the
 * text, so tests can tell which text a stored vector was made from. Tests swap the behaviour to
 * inject errors, garbage and delays.
 */
public final class FakeOpenAiServer implements AutoCloseable {

    /** What the server saw of one request. */
    public record Request(
            List<String> inputs, String model, String authorization, Integer dimensions, String encodingFormat) {}

    /**
     * An answer: status, headers, body, an optional delay before it is sent, and an optional delay
     * between the headers and the body (a slow body).
     */
    public record Reply(int status, Map<String, String> headers, String body, Duration delay, Duration bodyDelay) {
        public static Reply json(int status, String body) {
            return new Reply(status, Map.of(), body, Duration.ZERO, Duration.ZERO);
        }

        /** No answer at all: the connection is closed as soon as the request is read, as by a dead backend. */
        public static Reply connectionDropped() {
            return new Reply(DROP, Map.of(), "", Duration.ZERO, Duration.ZERO);
        }

        /**
         * A {@code 200} whose body never ends: the start of an answer, then numbers, chunk after
         * chunk, until the client hangs up (or {@value #ENDLESS_CAP} bytes, so that a client
         * that never hangs up fails its test instead of running forever).
         */
        public static Reply endless() {
            return new Reply(ENDLESS, Map.of(), "", Duration.ZERO, Duration.ZERO);
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> h = new HashMap<>(headers);
            h.put(name, value);
            return new Reply(status, h, body, delay, bodyDelay);
        }

        public Reply after(Duration wait) {
            return new Reply(status, headers, body, wait, bodyDelay);
        }

        /** Headers at once, the first half of the body, then the rest after {@code wait}. */
        public Reply withSlowBody(Duration wait) {
            return new Reply(status, headers, body, delay, wait);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The status of {@link Reply#connectionDropped()}: nothing is sent. */
    private static final int DROP = -1;

    private static final int ENDLESS = -2;
    static final long ENDLESS_CAP = 1L << 30;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** What a test's stub threw: kept for the test to fail on, never passed off as a provider fault. */
    private final List<Throwable> stubFailures = new CopyOnWriteArrayList<>();

    private volatile Function<Request, Reply> behaviour;
    private final int dimensions;

    public FakeOpenAiServer(int dimensions) {
        this.dimensions = dimensions;
        this.behaviour = this::vectors;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/v1/embeddings", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public int dimensions() {
        return dimensions;
    }

    public void behave(Function<Request, Reply> behaviour) {
        this.behaviour = behaviour;
    }

    /** Back to correct answers and an empty request log. */
    /**
     * Fails (and forgets them) when a stub threw since the last reset: a broken stub must fail its
     * test, though the service saw only a failed call and may have carried on regardless.
     */
    public void assertNoStubFailures() {
        if (!stubFailures.isEmpty()) {
            AssertionError failure = new AssertionError(
                    stubFailures.size() + " provider stub call(s) threw; the first is the cause", stubFailures.get(0));
            stubFailures.clear();
            throw failure;
        }
    }

    /** Back to answering with vectors; a stub that threw since the last check fails the test here. */
    public void reset() {
        assertNoStubFailures();
        behaviour = this::vectors;
        requests.clear();
    }

    public List<Request> requests() {
        return Collections.unmodifiableList(new ArrayList<>(requests));
    }

    public List<String> allInputs() {
        return requests.stream().flatMap(r -> r.inputs().stream()).toList();
    }

    /** The correct answer: one vector per input, in shuffled order (clients must sort by index). */
    public Reply vectors(Request request) {
        ObjectNode root = JSON.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < request.inputs().size(); i++) {
            order.add(i);
        }
        Collections.reverse(order);
        int tokens = 0;
        for (int i : order) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            float[] vector = vectorFor(request.inputs().get(i), dimensions);
            if ("base64".equals(request.encodingFormat())) {
                ByteBuffer bytes =
                        ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(vector);
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float f : vector) {
                    values.add(f);
                }
            }
            tokens += request.inputs().get(i).split("\\s+").length;
        }
        root.put("model", request.model());
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", tokens);
        usage.put("total_tokens", tokens);
        return Reply.json(200, JSON.writeValueAsString(root));
    }

    /** A unit vector determined by the text alone. */
    public static float[] vectorFor(String text, int dimensions) {
        Random random = new Random(text.hashCode() * 31L + text.length());
        float[] v = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dimensions; i++) {
            v[i] *= scale;
        }
        return v;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            JsonNode body = JSON.readTree(in.readAllBytes());
            List<String> inputs = new ArrayList<>();
            body.path("input").forEach(n -> inputs.add(n.asString()));
            JsonNode dims = body.path("dimensions");
            Request request = new Request(
                    inputs,
                    body.path("model").asString(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    dims.isNumber() ? dims.asInt() : null,
                    body.path("encoding_format").isString()
                            ? body.path("encoding_format").asString()
                            : null);
            requests.add(request);
            Reply reply;
            try {
                reply = Objects.requireNonNull(behaviour.apply(request), "the stub returned no reply");
                Objects.requireNonNull(reply.body(), "the stub's reply has no body");
            } catch (RuntimeException | Error e) {
                stubFailures.add(e);
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            if (reply.status() == DROP) {
                return; // closing the exchange unanswered drops the connection
            }
            if (reply.status() == ENDLESS) {
                streamEndlessly(exchange);
                return;
            }
            if (!reply.delay().isZero()) {
                try {
                    Thread.sleep(
                            reply.delay().toMillis()); // the delay is the behaviour under test, not synchronisation
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0 && !reply.bodyDelay().isZero()) {
                exchange.getResponseBody().write(bytes, 0, bytes.length / 2);
                exchange.getResponseBody().flush();
                try {
                    Thread.sleep(reply.bodyDelay().toMillis()); // the slowness is the behaviour under test
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                exchange.getResponseBody().write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
            } else if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
        } catch (IOException e) {
            // the client went away (e.g. its timeout fired); nothing to answer
        } catch (RuntimeException e) {
            // not the client going away (that is an IOException): a request this stand-in could not
            // read, or a reply it could not send, fails the test instead of passing for an outage
            stubFailures.add(e);
        }
    }

    private static void streamEndlessly(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.5"
                .getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = ",0.25".repeat(8192).getBytes(StandardCharsets.US_ASCII);
        for (long sent = 0; sent < ENDLESS_CAP; sent += chunk.length) {
            out.write(chunk); // fails once the client hangs up, which ends the loop
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
