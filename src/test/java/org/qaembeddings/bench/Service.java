package org.qaembeddings.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.qaembeddings.QaEmbeddingsApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The service started in this JVM on the benchmark schema of PostgreSQL, and a client for it. */
final class Service implements AutoCloseable {

    static final String SCHEMA = "qa_bench";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ConfigurableApplicationContext context;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Service(ConfigurableApplicationContext context) {
        this.context = context;
        this.base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    /** Spring properties for the benchmark schema, dropped first when {@code fresh}. */
    static Map<String, String> database(boolean fresh) {
        return database(SCHEMA, fresh);
    }

    /** Spring properties for {@code schema}, dropped first when {@code fresh}. */
    static Map<String, String> database(String schema, boolean fresh) {
        String url = System.getProperty("bench.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("spring.datasource.url", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        p.put("spring.datasource.username", System.getProperty("bench.pg.user", "postgres"));
        p.put("spring.datasource.password", System.getProperty("bench.pg.password", ""));
        p.put("spring.flyway.schemas", schema);
        if (fresh) {
            try (var c = java.sql.DriverManager.getConnection(url, p.get("spring.datasource.username"),
                    p.get("spring.datasource.password")); var s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("PostgreSQL at " + url + " is needed for the benchmarks", e);
            }
        }
        return p;
    }

    static Service start(Map<String, String> properties) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("server.port", "0");
        all.put("spring.main.banner-mode", "off");
        all.put("logging.level.root", "WARN");
        all.put("logging.level.org.qaembeddings", "ERROR");
        all.putAll(properties);
        String[] args = all.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        return new Service(new SpringApplication(QaEmbeddingsApplication.class).run(args));
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    JdbcClient jdbc() {
        return bean(JdbcClient.class);
    }

    /** Empties every table, counts included, between rounds. */
    void truncate() {
        jdbc().sql("TRUNCATE qa_pair, qa_embedding, embedding_cost, embedding_cost_rollup").update();
        jdbc().sql("UPDATE qa_embedding_count SET n = 0").update();
    }

    /** Status and body of one request. */
    record Response(int status, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Response post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String pairJson(Texts.Pair pair) {
        var node = JSON.createObjectNode();
        node.put("question", pair.question());
        node.put("answer", pair.answer());
        return JSON.writeValueAsString(node);
    }

    long completed() {
        return get("/api/embeddings/health").json().path("completedCount").asLong();
    }

    /** Waits until {@code n} embeddings are completed; a benchmark's own polling, not a test's. */
    void awaitCompleted(long n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (completed() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + completed() + " of " + n + " completed after " + timeout);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
