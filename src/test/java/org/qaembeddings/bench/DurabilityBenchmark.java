package org.qaembeddings.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.util.FileSystemUtils;

/**
 * 6. What the durable embedded default costs a save: two services on H2 files, one with H2's own
 * write delay (500 ms, the earlier default, which loses the last half second of commits to a killed
 * process) as the baseline, one with the default URL's {@code WRITE_DELAY=0}. Each round measures
 * saves from one client (latency) and from {@code concurrency} clients (throughput), in turns.
 */
final class DurabilityBenchmark {

    private static final String URL =
            "jdbc:h2:file:%s;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH%s";
    private static final List<String> MODES =
            List.of("H2 with its own write delay, 500 ms (baseline)", "H2 with WRITE_DELAY=0 (the default)");
    private static final List<String> OPTIONS = List.of("", ";WRITE_DELAY=0");

    private final Benchmarks.Options options;

    DurabilityBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    void run(Report report) throws Exception {
        Path directory = Files.createTempDirectory("qa-bench-durability");
        List<Texts.Pair> pairs = Texts.pairs(options.saves(), 6);
        int sequential = Math.max(100, options.saves() / 4);
        List<Service> services = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(options.concurrency());
        try (FakeOpenAiServer provider = new FakeOpenAiServer(384)) {
            for (int m = 0; m < MODES.size(); m++) {
                Map<String, String> properties = new LinkedHashMap<>();
                properties.put(
                        "spring.datasource.url", String.format(URL, directory.resolve("db" + m), OPTIONS.get(m)));
                properties.put("spring.datasource.username", "sa");
                properties.put("spring.datasource.password", "");
                properties.put("embedding.provider", "openai");
                properties.put("embedding.openai.base-url", provider.baseUrl());
                properties.put("embedding.openai.dimensions", "384");
                properties.put("embedding.openai.api-key", "sk-bench");
                services.add(Service.start(properties));
            }
            Map<String, List<Double>> p50 = new LinkedHashMap<>();
            Map<String, List<Double>> p99 = new LinkedHashMap<>();
            Map<String, List<Double>> rate = new LinkedHashMap<>();
            for (int round = -1; round < options.rounds(); round++) {
                for (int i = 0; i < MODES.size(); i++) {
                    int m = (round & 1) == 0 ? i : MODES.size() - 1 - i; // alternate which goes first
                    Service service = services.get(m);
                    List<Double> one = SaveLatencyBenchmark.saves(service, pairs.subList(0, sequential), clients, 1);
                    long start = System.nanoTime();
                    List<Double> many = SaveLatencyBenchmark.saves(service, pairs, clients, options.concurrency());
                    double perSecond = pairs.size() / ((System.nanoTime() - start) / 1e9);
                    System.out.printf(
                            Locale.ROOT,
                            "durability round %d %s: one client p50 %.2f ms p99 %.2f ms; "
                                    + "%d clients %.0f saves/s%n",
                            round,
                            MODES.get(m),
                            Summary.quantile(one, 0.5),
                            Summary.quantile(one, 0.99),
                            options.concurrency(),
                            perSecond);
                    if (round >= 0) {
                        p50.computeIfAbsent(MODES.get(m), k -> new ArrayList<>())
                                .add(Summary.quantile(one, 0.5));
                        p99.computeIfAbsent(MODES.get(m), k -> new ArrayList<>())
                                .add(Summary.quantile(one, 0.99));
                        rate.computeIfAbsent(MODES.get(m), k -> new ArrayList<>())
                                .add(perSecond);
                    }
                }
            }
            List<List<String>> table = new ArrayList<>();
            table.add(List.of(
                    "database",
                    "one client: p50 ms",
                    "p99 ms",
                    "p50 / baseline",
                    options.concurrency() + " clients: saves/s",
                    "saves/s / baseline"));
            String baseline = MODES.get(0);
            for (String mode : MODES) {
                table.add(List.of(
                        mode,
                        Summary.of(p50.get(mode)).format("%.2f"),
                        Summary.of(p99.get(mode)).format("%.2f"),
                        ratios(p50.get(mode), p50.get(baseline)).format("%.2f"),
                        Summary.of(rate.get(mode)).format("%.0f"),
                        ratios(rate.get(mode), rate.get(baseline)).format("%.2f")));
            }
            report.section(
                    "6. What the durable embedded default costs a save",
                    List.of(String.format(
                            Locale.ROOT,
                            "Two services in one JVM, each on an H2 file of its own, the worker embedding "
                                    + "with a provider that answers at once; per round %,d saves from one "
                                    + "client, then %,d from %d clients, the two services in turns; %d rounds "
                                    + "after a warm-up round. Ratios are per round, median (min – max).",
                            sequential,
                            pairs.size(),
                            options.concurrency(),
                            options.rounds())),
                    table);
        } finally {
            clients.shutdownNow();
            services.forEach(Service::close);
            FileSystemUtils.deleteRecursively(directory);
        }
    }

    private static Summary ratios(List<Double> values, List<Double> baseline) {
        List<Double> ratio = new ArrayList<>();
        for (int r = 0; r < baseline.size(); r++) {
            ratio.add(values.get(r) / baseline.get(r));
        }
        return Summary.of(ratio);
    }
}
