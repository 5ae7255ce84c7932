package org.qaembeddings.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An OpenAI-compatible {@code /v1/embeddings} that answers at once: the vectors (random unit
 * vectors, in the encoding asked for) are made once, so that the benchmark measures the client
 * and the pipeline, not the stand-in. Usage counts one token per word of input.
 */
final class InstantOpenAiServer implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final AtomicInteger requests = new AtomicInteger();
    private final String[] floatItems;
    private final String[] base64Items;

    InstantOpenAiServer(int dimensions, int maxInputs) throws IOException {
        Random random = new Random(7);
        floatItems = new String[maxInputs];
        base64Items = new String[maxInputs];
        for (int i = 0; i < maxInputs; i++) {
            float[] v = new float[dimensions];
            double norm = 0;
            for (int d = 0; d < dimensions; d++) {
                v[d] = (float) random.nextGaussian();
                norm += v[d] * v[d];
            }
            StringBuilder numbers = new StringBuilder();
            ByteBuffer bytes = ByteBuffer.allocate(dimensions * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int d = 0; d < dimensions; d++) {
                v[d] /= (float) Math.sqrt(norm);
                numbers.append(d == 0 ? "" : ",").append(v[d]);
                bytes.putFloat(v[d]);
            }
            floatItems[i] = "{\"object\":\"embedding\",\"index\":" + i + ",\"embedding\":[" + numbers + "]}";
            base64Items[i] = "{\"object\":\"embedding\",\"index\":" + i + ",\"embedding\":\""
                    + Base64.getEncoder().encodeToString(bytes.array()) + "\"}";
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/embeddings", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /**
     * Service properties for the openai provider against this server: {@code dimensions} wide,
     * text-embedding-3-small.
     */
    Map<String, String> providerProperties(int dimensions) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("embedding.provider", "openai");
        p.put("embedding.openai.base-url", baseUrl());
        p.put("embedding.openai.model", "text-embedding-3-small");
        p.put("embedding.openai.dimensions", String.valueOf(dimensions));
        p.put("embedding.openai.api-key", "sk-bench");
        return p;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    int requests() {
        return requests.get();
    }

    void reset() {
        requests.set(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody();
                OutputStream out = exchange.getResponseBody()) {
            JsonNode body = JSON.readTree(in.readAllBytes());
            requests.incrementAndGet();
            JsonNode inputs = body.path("input");
            String[] items = "base64".equals(body.path("encoding_format").asString()) ? base64Items : floatItems;
            long tokens = 0;
            StringBuilder answer = new StringBuilder("{\"object\":\"list\",\"data\":[");
            for (int i = 0; i < inputs.size(); i++) {
                answer.append(i == 0 ? "" : ",").append(items[i]);
                tokens += inputs.get(i).asString().split("\\s+").length;
            }
            answer.append("],\"model\":\"")
                    .append(body.path("model").asString())
                    .append("\",\"usage\":{\"prompt_tokens\":")
                    .append(tokens)
                    .append(",\"total_tokens\":")
                    .append(tokens)
                    .append("}}");
            byte[] bytes = answer.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
