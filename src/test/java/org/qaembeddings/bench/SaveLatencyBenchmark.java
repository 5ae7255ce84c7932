package org.qaembeddings.bench;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.qaembeddings.support.FakeOpenAiServer;

/**
 * 3. How long a save takes while the provider is (a) answering at once, (b) answering in 2 s,
 * (c) refusing connections. Three services, one per provider, each on its own schema; their
 * rounds are interleaved so that the machine's noise falls on all three alike. Baseline: (a).
 */
final class SaveLatencyBenchmark {

    private static final List<String> MODES = List.of(
            "(a) provider answering at once (baseline)",
            "(b) provider answering in 2 s",
            "(c) provider down (connection refused)");
    private final Benchmarks.Options options;

    SaveLatencyBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    void run(Report report) throws Exception {
        List<Texts.Pair> pairs = Texts.pairs(options.saves(), 3);
        try (FakeOpenAiServer fast = new FakeOpenAiServer(384);
                FakeOpenAiServer slow = new FakeOpenAiServer(384)) {
            slow.behave(request -> slow.vectors(request).after(Duration.ofSeconds(2)));
            String refused;
            try (ServerSocket socket = new ServerSocket(0)) {
                refused = "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
            }
            List<String> urls = List.of(fast.baseUrl(), slow.baseUrl(), refused);
            List<Service> services = new ArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(options.concurrency());
            try {
                for (int m = 0; m < MODES.size(); m++) {
                    Map<String, String> properties = new LinkedHashMap<>(Service.database("qa_bench_save" + m, true));
                    properties.put("embedding.provider", "openai");
                    properties.put("embedding.openai.base-url", urls.get(m));
                    properties.put("embedding.openai.dimensions", "384");
                    properties.put("embedding.openai.api-key", "sk-bench");
                    properties.put("embedding.openai.timeout", "30s");
                    services.add(Service.start(properties));
                }
                Map<String, List<Double>> p50 = new LinkedHashMap<>();
                Map<String, List<Double>> p99 = new LinkedHashMap<>();
                for (int round = -1; round < options.rounds(); round++) {
                    for (int m = 0; m < MODES.size(); m++) {
                        Service service = services.get(m);
                        service.truncate();
                        List<Double> millis = saves(
                                service,
                                round < 0 ? pairs.subList(0, Math.min(500, pairs.size())) : pairs,
                                clients,
                                options.concurrency());
                        if (round >= 0) {
                            p50.computeIfAbsent(MODES.get(m), k -> new ArrayList<>())
                                    .add(Summary.quantile(millis, 0.5));
                            p99.computeIfAbsent(MODES.get(m), k -> new ArrayList<>())
                                    .add(Summary.quantile(millis, 0.99));
                        }
                        System.out.printf(
                                Locale.ROOT,
                                "saves round %d %s: p50 %.2f ms, p99 %.2f ms%n",
                                round,
                                MODES.get(m),
                                Summary.quantile(millis, 0.5),
                                Summary.quantile(millis, 0.99));
                    }
                }
                List<List<String>> table = new ArrayList<>();
                table.add(List.of("provider", "p50 ms", "p99 ms", "p99 / baseline p99", "target"));
                List<Double> baseline = p99.get(MODES.get(0));
                for (String mode : MODES) {
                    List<Double> ratio = new ArrayList<>();
                    for (int r = 0; r < baseline.size(); r++) {
                        ratio.add(p99.get(mode).get(r) / baseline.get(r));
                    }
                    Summary summary = Summary.of(ratio);
                    table.add(List.of(
                            mode,
                            Summary.of(p50.get(mode)).format("%.2f"),
                            Summary.of(p99.get(mode)).format("%.2f"),
                            summary.format("%.2f"),
                            mode.startsWith("(a)") ? "" : summary.median() <= 1.2 ? "≤ 1.2: met" : "≤ 1.2: MISSED"));
                }
                report.section(
                        "3. Save latency under a bad provider",
                        List.of(String.format(
                                Locale.ROOT,
                                "%,d `POST /api/qa-pairs` per round from %d concurrent "
                                        + "HTTP clients (texts of 20–300 words), "
                                        + "one service per provider on its own PostgreSQL schema, rounds interleaved; "
                                        + "%d rounds after a warm-up of 500 saves each.",
                                options.saves(),
                                options.concurrency(),
                                options.rounds())),
                        table);
            } finally {
                clients.shutdownNow();
                Collections.reverse(services);
                services.forEach(Service::close);
            }
        }
    }

    /** Saves {@code pairs} from {@code threads} clients at once; returns each save's milliseconds. */
    static List<Double> saves(Service service, List<Texts.Pair> pairs, ExecutorService clients, int threads)
            throws Exception {
        List<Future<List<Double>>> results = new ArrayList<>();
        for (int c = 0; c < threads; c++) {
            int first = c;
            results.add(clients.submit(() -> {
                List<Double> millis = new ArrayList<>();
                for (int i = first; i < pairs.size(); i += threads) {
                    long t = System.nanoTime();
                    Service.Response r = service.post("/api/qa-pairs", Service.pairJson(pairs.get(i)));
                    millis.add((System.nanoTime() - t) / 1e6);
                    if (r.status() != 201) {
                        throw new IllegalStateException("save failed: " + r.status() + " " + r.body());
                    }
                }
                return millis;
            }));
        }
        List<Double> all = new ArrayList<>();
        for (Future<List<Double>> f : results) {
            all.addAll(f.get());
        }
        return all;
    }
}
