package org.qaembeddings.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

import org.qaembeddings.provider.EmbeddingProvider;

/**
 * 1. The in-process model end to end: N pairs saved over HTTP, timed until all are COMPLETED and
 * stored on PostgreSQL. Baseline: the bare model's {@code embedAll} over the same texts, cut to
 * the model's input limit as the service cuts them, in the same JVM.
 */
final class LocalModelBenchmark {

    private static final int CLIENTS = 4;
    private final Benchmarks.Options options;

    LocalModelBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    void run(Report report) throws Exception {
        int n = options.pairs();
        List<Texts.Pair> pairs = Texts.pairs(n, 1);
        Map<String, String> properties = new LinkedHashMap<>(Service.database(true));
        properties.put("embedding.provider", "local");
        try (Service service = Service.start(properties)) {
            EmbeddingProvider provider = service.bean(EmbeddingProvider.class);
            List<TextSegment> segments = pairs.stream().map(p -> TextSegment.from(provider.fit(p.rendered()))).toList();
            long words = pairs.stream().mapToLong(p -> p.rendered().split("\\s+").length).sum();
            AllMiniLmL6V2QuantizedEmbeddingModel bare = new AllMiniLmL6V2QuantizedEmbeddingModel();
            List<Double> baseline = new ArrayList<>();
            List<Double> served = new ArrayList<>();
            List<Double> ratio = new ArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                for (int round = -1; round < options.rounds(); round++) {
                    long t = System.nanoTime();
                    bare.embedAll(segments);
                    double bareRate = n / ((System.nanoTime() - t) / 1e9);

                    service.truncate();
                    long t0 = System.nanoTime();
                    List<Future<?>> posts = new ArrayList<>();
                    for (int c = 0; c < CLIENTS; c++) {
                        int first = c;
                        posts.add(clients.submit(() -> {
                            for (int i = first; i < n; i += CLIENTS) {
                                Service.Response r = service.post("/api/qa-pairs", Service.pairJson(pairs.get(i)));
                                if (r.status() != 201) {
                                    throw new IllegalStateException("save failed: " + r.status() + " " + r.body());
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : posts) {
                        f.get();
                    }
                    service.awaitCompleted(n, Duration.ofMinutes(10));
                    double serviceRate = n / ((System.nanoTime() - t0) / 1e9);
                    System.out.printf(Locale.ROOT, "local round %d: bare model %.1f/s, service %.1f/s%n", round, bareRate,
                            serviceRate);
                    if (round >= 0) {
                        baseline.add(bareRate);
                        served.add(serviceRate);
                        ratio.add(serviceRate / bareRate);
                    }
                }
            } finally {
                clients.shutdownNow();
            }
            report.section("1. Local model, end to end", List.of(String.format(Locale.ROOT,
                    "%,d QA pairs of 20–300 words (%,d words in all, deterministic), saved over HTTP by %d clients; "
                            + "timed from the first save until all are COMPLETED on PostgreSQL. Baseline: the bare "
                            + "all-MiniLM-L6-v2-q `embedAll` over the same texts, cut to 256 tokens as the service "
                            + "cuts them, in the same JVM. %d rounds after one warm-up.",
                    n, words, CLIENTS, options.rounds())),
                    List.of(List.of("figure", "value", "target"),
                            List.of("bare model (baseline), texts/s", Summary.of(baseline).format("%.1f"), ""),
                            List.of("service, pairs embedded and stored/s", Summary.of(served).format("%.1f"), ""),
                            List.of("service / baseline", Summary.of(ratio).format("%.3f"),
                                    Summary.of(ratio).median() >= 0.9 ? "≥ 0.90: met" : "≥ 0.90: MISSED")));
        }
    }
}
