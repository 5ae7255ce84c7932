package org.qaembeddings.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * 1. The in-process model end to end on PostgreSQL, two ways per round: (a) pairs committed as
 * saves commit them, timed from the commit until every vector is stored; (b) the same pairs saved
 * over HTTP by concurrent clients, timed from the first save, so that the saves' own CPU competes
 * with the model as it would in use. Baseline: the bare model's {@code embedAll} over the same
 * texts with the same 256-token window, in the same JVM.
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
            List<TextSegment> segments =
                    pairs.stream().map(p -> TextSegment.from(p.rendered())).toList();
            long words = pairs.stream()
                    .mapToLong(p -> p.rendered().split("\\s+").length)
                    .sum();
            EmbeddingModel bare = BareModels.allMiniLmL6V2Quantized();
            List<Double> baseline = new ArrayList<>();
            List<Double> pipeline = new ArrayList<>();
            List<Double> overHttp = new ArrayList<>();
            List<Double> pipelineRatio = new ArrayList<>();
            List<Double> httpRatio = new ArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                for (int round = -1; round < options.rounds(); round++) {
                    // the machine is shared and its speed drifts: the baseline runs next to (a), first in
                    // even rounds and last in odd ones
                    boolean even = round % 2 == 0;
                    double httpRate = even ? 0 : overHttp(service, pairs, clients);
                    double bareRate = even ? bareRate(bare, segments) : 0;
                    service.truncate();
                    Instant committed = service.insertPending(pairs);
                    double pipelineRate =
                            n / Service.seconds(committed, service.awaitCompleted(n, Duration.ofMinutes(10)));
                    if (even) {
                        httpRate = overHttp(service, pairs, clients);
                    } else {
                        bareRate = bareRate(bare, segments);
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "local round %d: bare model %.1f/s, from commit %.1f/s, over HTTP %.1f/s%n",
                            round,
                            bareRate,
                            pipelineRate,
                            httpRate);
                    if (round >= 0) {
                        baseline.add(bareRate);
                        pipeline.add(pipelineRate);
                        overHttp.add(httpRate);
                        pipelineRatio.add(pipelineRate / bareRate);
                        httpRatio.add(httpRate / bareRate);
                    }
                }
            } finally {
                clients.shutdownNow();
            }
            report.section(
                    "1. Local model, end to end",
                    List.of(String.format(
                            Locale.ROOT,
                            "%,d QA pairs of 20–300 words (%,d words in all, deterministic) on PostgreSQL, the "
                                    + "in-process all-MiniLM-L6-v2-q, default settings. (a) The pairs are "
                                    + "committed in one transaction by the save path's own code; timed from the "
                                    + "commit until the last vector is stored. (b) The pairs are saved with "
                                    + "`POST /api/qa-pairs` by %d concurrent HTTP clients in the same JVM; timed "
                                    + "from the first save until the last vector is stored, so that the saves' "
                                    + "CPU competes with the model. Baseline: LangChain4j's "
                                    + "`OnnxEmbeddingModel.embedAll` over the same texts, the same ONNX file and "
                                    + "the model's 256-token window (the tokenizer.json shipped with it cuts at "
                                    + "128; see `BareModels`), in the same JVM, in the same round (first "
                                    + "in even rounds, last in odd ones). %d rounds after one warm-up.",
                            n,
                            words,
                            CLIENTS,
                            options.rounds())),
                    List.of(
                            List.of("figure", "value", "target"),
                            List.of(
                                    "bare model (baseline), texts/s",
                                    Summary.of(baseline).format("%.1f"),
                                    ""),
                            List.of(
                                    "(a) service from commit, pairs embedded and stored/s",
                                    Summary.of(pipeline).format("%.1f"),
                                    ""),
                            List.of(
                                    "(a) / baseline",
                                    Summary.of(pipelineRatio).format("%.3f"),
                                    Summary.of(pipelineRatio).median() >= 0.9 ? "≥ 0.90: met" : "≥ 0.90: MISSED"),
                            List.of(
                                    "(b) service with the saves over HTTP, pairs/s",
                                    Summary.of(overHttp).format("%.1f"),
                                    ""),
                            List.of("(b) / baseline", Summary.of(httpRatio).format("%.3f"), "")));
        }
    }

    private static double bareRate(EmbeddingModel bare, List<TextSegment> segments) {
        long t = System.nanoTime();
        bare.embedAll(segments);
        return segments.size() / ((System.nanoTime() - t) / 1e9);
    }

    private static double overHttp(Service service, List<Texts.Pair> pairs, ExecutorService clients) throws Exception {
        service.truncate();
        Instant start = Instant.now();
        saveOverHttp(service, pairs, clients);
        return pairs.size() / Service.seconds(start, service.awaitCompleted(pairs.size(), Duration.ofMinutes(10)));
    }

    private static void saveOverHttp(Service service, List<Texts.Pair> pairs, ExecutorService clients)
            throws Exception {
        List<Future<?>> posts = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int first = c;
            posts.add(clients.submit(() -> {
                for (int i = first; i < pairs.size(); i += CLIENTS) {
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
    }
}
