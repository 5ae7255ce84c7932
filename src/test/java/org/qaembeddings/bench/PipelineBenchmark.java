package org.qaembeddings.bench;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.qaembeddings.provider.EmbeddingProvider;

/**
 * 2. What the pipeline adds to the provider: N pending pairs on PostgreSQL, an OpenAI-compatible
 * server on loopback that answers at once. Baseline: the same provider client making the same
 * calls back to back, with no database.
 */
final class PipelineBenchmark {

    private final Benchmarks.Options options;

    PipelineBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    void run(Report report) throws IOException {
        int n = options.pipelinePairs();
        List<Texts.Pair> pairs = Texts.pairs(n, 2);
        try (InstantOpenAiServer openai = new InstantOpenAiServer(options.dimensions(), 100)) {
            Map<String, String> properties = new LinkedHashMap<>(Service.database(true));
            properties.putAll(openai.providerProperties(options.dimensions()));
            properties.put("embedding.openai.encoding-format", options.encoding());
            try (Service service = Service.start(properties)) {
                EmbeddingProvider provider = service.bean(EmbeddingProvider.class);
                List<Double> baseline = new ArrayList<>();
                List<Double> pipeline = new ArrayList<>();
                List<Double> ratio = new ArrayList<>();
                List<Integer> calls = new ArrayList<>();
                for (int round = -1; round < options.rounds(); round++) {
                    openai.reset();
                    long t = System.nanoTime();
                    for (int i = 0; i < n; i += 100) {
                        provider.embed(pairs.subList(i, Math.min(n, i + 100)).stream()
                                .map(Texts.Pair::rendered)
                                .toList());
                    }
                    double bare = n / ((System.nanoTime() - t) / 1e9);

                    service.truncate();
                    openai.reset();
                    Instant committed = service.insertPending(pairs);
                    double served = n / Service.seconds(committed, service.awaitCompleted(n, Duration.ofMinutes(10)));
                    if (round >= 0) {
                        baseline.add(bare);
                        pipeline.add(served);
                        ratio.add(served / bare);
                        calls.add(openai.requests());
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "pipeline round %d: provider alone %.0f/s, service %.0f/s, %d calls%n",
                            round,
                            bare,
                            served,
                            openai.requests());
                }
                int expectedCalls = (n + 99) / 100;
                report.section(
                        "2. Pipeline overhead",
                        List.of(String.format(
                                Locale.ROOT,
                                "%,d pending pairs on PostgreSQL (inserted, then the worker woken by the "
                                        + "commit); the openai provider against an OpenAI-compatible server on "
                                        + "loopback answering at once with %d-dimension unit vectors made in "
                                        + "advance (`encoding_format` %s); batch size 100. Baseline: the same "
                                        + "client making the same calls back to back without the database. "
                                        + "%d rounds after one warm-up.",
                                n,
                                options.dimensions(),
                                options.encoding(),
                                options.rounds())),
                        List.of(
                                List.of("figure", "value", "target"),
                                List.of(
                                        "provider alone (baseline), embeddings/s",
                                        Summary.of(baseline).format("%,.0f"),
                                        ""),
                                List.of(
                                        "service, embeddings persisted/s",
                                        Summary.of(pipeline).format("%,.0f"),
                                        Summary.of(pipeline).median() >= 3000 ? "≥ 3,000/s: met" : "≥ 3,000/s: MISSED"),
                                List.of("service / baseline", Summary.of(ratio).format("%.2f"), ""),
                                List.of(
                                        "provider calls per round",
                                        calls.toString(),
                                        calls.stream().allMatch(c -> c == expectedCalls)
                                                ? "= ⌈N/100⌉ = " + expectedCalls + ": met"
                                                : "= ⌈N/100⌉ = " + expectedCalls + ": MISSED")));
            }
        }
    }
}
