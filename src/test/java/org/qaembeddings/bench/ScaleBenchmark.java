package org.qaembeddings.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.qaembeddings.embedding.EmbeddingService;

/**
 * 5. The health figures and the daily cost report with a million embedding rows and a million
 * cost rows on PostgreSQL. Baseline: the service's cheapest request, the liveness probe.
 */
final class ScaleBenchmark {

    private static final int REQUESTS = 500;
    private final Benchmarks.Options options;

    ScaleBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    void run(Report report) {
        Map<String, String> properties = new LinkedHashMap<>(Service.database(true));
        properties.put("embedding.provider", "openai");
        properties.put("embedding.openai.base-url", "http://127.0.0.1:9/v1");
        properties.put("embedding.worker-enabled", "false");
        properties.put("embedding.openai.api-key", "sk-bench");
        int rows = options.scaleRows();
        try (Service service = Service.start(properties)) {
            long loadStart = System.nanoTime();
            load(service, rows);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            // the figures before this release counted the rows on every request
            Supplier<Object> groupByCount = () -> service.jdbc()
                    .sql("SELECT status, COUNT(*) AS n, MIN(pending_since) AS oldest FROM qa_embedding GROUP BY status")
                    .query()
                    .listOfRows();

            Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
            calls.put("GET /actuator/health/liveness (baseline)", () -> service.get("/actuator/health/liveness"));
            calls.put("GET /api/embeddings/health", () -> service.get("/api/embeddings/health"));
            calls.put("GET /api/embeddings/costs (30 days)", () -> service.get("/api/embeddings/costs"));
            calls.put("old health query: GROUP BY status over the rows (SQL only)", groupByCount);
            Map<String, List<Double>> p50 = new LinkedHashMap<>();
            Map<String, List<Double>> p99 = new LinkedHashMap<>();
            for (int round = -1; round < options.rounds(); round++) {
                for (var call : calls.entrySet()) {
                    int n = call.getKey().startsWith("old") ? 50 : REQUESTS;
                    List<Double> millis = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        long t = System.nanoTime();
                        call.getValue().get();
                        millis.add((System.nanoTime() - t) / 1e6);
                    }
                    if (round >= 0) { // round -1 warms up
                        p50.computeIfAbsent(call.getKey(), k -> new ArrayList<>())
                                .add(Summary.quantile(millis, 0.5));
                        p99.computeIfAbsent(call.getKey(), k -> new ArrayList<>())
                                .add(Summary.quantile(millis, 0.99));
                    }
                }
            }
            List<List<String>> table = new ArrayList<>();
            table.add(List.of("request", "p50 ms", "p99 ms", "p99 / baseline p99", "target"));
            List<Double> baseline = p99.get("GET /actuator/health/liveness (baseline)");
            for (String name : calls.keySet()) {
                List<Double> ratio = new ArrayList<>();
                for (int r = 0; r < baseline.size(); r++) {
                    ratio.add(p99.get(name).get(r) / baseline.get(r));
                }
                table.add(List.of(
                        name,
                        Summary.of(p50.get(name)).format("%.2f"),
                        Summary.of(p99.get(name)).format("%.2f"),
                        Summary.of(ratio).format("%.1f×"),
                        name.startsWith("GET /api")
                                ? (Summary.of(p99.get(name)).max() < 50 ? "p99 < 50 ms: met" : "p99 < 50 ms: MISSED")
                                : ""));
            }
            report.section(
                    "5. Health and cost queries at scale",
                    List.of(String.format(
                            Locale.ROOT,
                            "%,d embedding rows (99.8 %% completed, 0.1 %% pending, 0.1 %% failed) and %,d "
                                    + "cost rows over 29 days on PostgreSQL, loaded in %.0f s. %d "
                                    + "sequential requests per figure and round over HTTP on loopback "
                                    + "(50 for the SQL-only line), %d rounds after one warm-up.",
                            rows,
                            rows,
                            loadSeconds,
                            REQUESTS,
                            options.rounds())),
                    table);
        }
    }

    private static void load(Service service, int rows) {
        var jdbc = service.jdbc();
        jdbc.sql("""
                INSERT INTO qa_pair (id, question, answer, created_at, updated_at)
                SELECT md5(i::text)::uuid, 'Question ' || i || '?', 'Answer ' || i, now(), now()
                  FROM generate_series(1, :rows) i""").param("rows", rows).update();
        jdbc.sql("""
                INSERT INTO qa_embedding (qa_pair_id, status, text_hash, pending_since, next_attempt_at, attempts,
                                          updated_at, error_kind, vector, dimensions, model, change_seq)
                SELECT md5(i::text)::uuid,
                       CASE WHEN i % 1000 = 0 THEN 'PENDING' WHEN i % 997 = 0 THEN 'FAILED' ELSE 'COMPLETED' END,
                       md5(i::text) || md5(i::text),
                       CASE WHEN i % 1000 = 0 THEN now() - make_interval(secs => i) END,
                       CASE WHEN i % 1000 = 0 OR i % 997 = 0 THEN now() END,
                       1, now(),
                       CASE WHEN i % 997 = 0 THEN (CASE WHEN i % 2 = 0 THEN 'TRANSIENT' ELSE 'PERMANENT' END) END,
                       CASE WHEN i % 1000 <> 0 AND i % 997 <> 0 THEN decode(repeat('00', 1536), 'hex') END,
                       384, 'all-minilm-l6-v2-q', nextval('pair_change_seq')
                  FROM generate_series(1, :rows) i""").param("rows", rows).update();
        jdbc.sql("""
                INSERT INTO embedding_cost (created_at, model, tokens, items, cost_usd)
                SELECT now() - make_interval(secs => i * 2.5), 'text-embedding-3-small', 1000, 10, 0.00002
                  FROM generate_series(1, :rows) i""").param("rows", rows).update();
        jdbc.sql("""
                INSERT INTO embedding_cost_rollup (bucket_start, model, calls, tokens, cost_usd)
                SELECT to_timestamp(floor(extract(epoch FROM created_at) / 900) * 900), model, COUNT(*), SUM(tokens),
                       SUM(cost_usd)
                  FROM embedding_cost GROUP BY 1, 2""").update();
        service.bean(EmbeddingService.class).reconcileCounts();
        jdbc.sql("VACUUM ANALYZE").update();
    }
}
