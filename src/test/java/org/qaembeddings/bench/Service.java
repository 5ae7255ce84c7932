package org.qaembeddings.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.qaembeddings.QaEmbeddingsApplication;
import org.qaembeddings.embedding.EmbeddingService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The service started in this JVM on the benchmark schema of PostgreSQL, and a client for it. */
final class Service implements AutoCloseable {

    static final String SCHEMA = "qa_bench";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ConfigurableApplicationContext context;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

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
            try (var c = DriverManager.getConnection(
                            url, p.get("spring.datasource.username"), p.get("spring.datasource.password"));
                    var s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (SQLException e) {
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
        // the benchmarks' clients write as fast as they can, from one address: the limiter stays on
        // the path of every write, with a rate no run reaches
        all.put("security.rate-limit.writes-per-second", "1000000");
        all.put("security.rate-limit.burst", "1000000");
        try {
            all.put("search.index-dir", Files.createTempDirectory("bench-index").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        all.putAll(properties);
        String[] args = all.entrySet().stream()
                .map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        return new Service(new SpringApplication(QaEmbeddingsApplication.class).run(args));
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    <T> T bean(String name, Class<T> type) {
        return context.getBean(name, type);
    }

    /**
     * Waits until this node's search index has read every change committed so far, with no gap
     * left open (read from its health contributor, whose details HTTP shows to admin keys only).
     */
    void awaitIndexed(Duration limit) {
        long last = jdbc().sql("SELECT COALESCE(MAX(change_seq), 0) FROM qa_embedding")
                .query(Long.class)
                .single();
        var search = bean("search", HealthIndicator.class);
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Map<String, Object> details = search.health().getDetails();
            if (Boolean.TRUE.equals(details.get("caughtUp"))
                    && ((Number) details.get("changePosition")).longValue() >= last
                    && ((Number) details.get("openGaps")).intValue() == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("search index not caught up within " + limit + ": " + details);
            }
            LockSupport.parkNanos(5_000_000); // polls a condition, with a deadline
        }
    }

    JdbcClient jdbc() {
        return bean(JdbcClient.class);
    }

    /** Empties every table, counts included, between rounds. */
    void truncate() {
        jdbc().sql("TRUNCATE qa_pair, qa_embedding, embedding_cost, embedding_cost_rollup")
                .update();
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
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r =
                    http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
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

    /**
     * Waits until {@code n} embeddings are completed and returns when the last one was written,
     * as the database recorded it. Polling is slow (every 100 ms) so as not to steal the CPU being
     * measured; the end time is exact all the same.
     */
    Instant awaitCompleted(long n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (completed() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + completed() + " of " + n + " completed after " + timeout);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return jdbc().sql("SELECT MAX(updated_at) FROM qa_embedding WHERE status = 'COMPLETED'")
                .query(OffsetDateTime.class)
                .single()
                .toInstant();
    }

    /** Seconds from {@code start} (wall clock) to {@code end}. */
    static double seconds(Instant start, Instant end) {
        return Duration.between(start, end).toNanos() / 1e9;
    }

    @Override
    public void close() {
        context.close();
    }

    /**
     * Inserts the pairs as saves would (the pair, then {@link EmbeddingService#requestForNewPair}),
     * all in one transaction, whose commit wakes the worker; returns the moment it committed.
     */
    Instant insertPending(List<Texts.Pair> pairs) {
        EmbeddingService embeddings = bean(EmbeddingService.class);
        NamedParameterJdbcTemplate jdbc = bean(NamedParameterJdbcTemplate.class);
        TransactionTemplate tx = new TransactionTemplate(bean(PlatformTransactionManager.class));
        Instant now = Instant.now();
        tx.executeWithoutResult(status -> {
            List<UUID> ids = new ArrayList<>();
            MapSqlParameterSource[] rows = new MapSqlParameterSource[pairs.size()];
            for (int i = 0; i < pairs.size(); i++) {
                UUID id = UUID.randomUUID();
                ids.add(id);
                rows[i] = new MapSqlParameterSource()
                        .addValue("id", id)
                        .addValue("q", pairs.get(i).question())
                        .addValue("a", pairs.get(i).answer())
                        .addValue("t", Timestamp.from(now));
            }
            jdbc.batchUpdate(
                    "INSERT INTO qa_pair (id, question, answer, created_at, updated_at) VALUES (:id, :q, :a, :t, :t)",
                    rows);
            for (int i = 0; i < pairs.size(); i++) {
                embeddings.requestForNewPair(
                        ids.get(i), pairs.get(i).question(), pairs.get(i).answer(), now);
            }
        });
        return Instant.now();
    }
}
