package org.qaembeddings.bench;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import tools.jackson.databind.JsonNode;

/**
 * 8. Search quality with the in-process model: the pairs of {@link QualitySet}, each asked for by
 * its paraphrase, in each mode. hit@1 is the share of queries whose pair comes first; MRR@10 the
 * mean of 1 / its rank (0 past 10). The baseline is the better of {@code semantic} and
 * {@code keyword}: {@code hybrid} must be at least as good.
 */
final class SearchQualityBenchmark {

    private static final List<String> MODES = List.of("keyword", "semantic", "hybrid");

    void run(Report report) {
        Map<String, String> properties = new LinkedHashMap<>(Service.database("qa_bench_quality", true));
        properties.put("embedding.provider", "local");
        try (Service service = Service.start(properties)) {
            Map<String, String> ids = new LinkedHashMap<>();
            for (QualitySet.Item item : QualitySet.ITEMS) {
                JsonNode created = service.post(
                                "/api/qa-pairs",
                                "{\"question\":" + quoted(item.question()) + ",\"answer\":" + quoted(item.answer())
                                        + "}")
                        .json();
                ids.put(item.query(), created.path("id").asString());
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (service.get("/api/embeddings/health")
                            .json()
                            .path("completedCount")
                            .asInt()
                    < ids.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pairs not embedded within 5 minutes");
                }
                LockSupport.parkNanos(50_000_000); // polls a condition, with a deadline
            }
            service.awaitIndexed(Duration.ofMinutes(1));

            Map<String, double[]> scores = new LinkedHashMap<>();
            List<String> misses = new ArrayList<>();
            for (String mode : MODES) {
                double hits = 0;
                double reciprocal = 0;
                for (var query : ids.entrySet()) {
                    JsonNode answer = service.get("/api/search?k=10&mode=" + mode + "&q="
                                    + URLEncoder.encode(query.getKey(), StandardCharsets.UTF_8))
                            .json();
                    if (!answer.path("degraded").isNull()) {
                        throw new IllegalStateException(
                                "degraded answer: " + answer.path("degraded").asString());
                    }
                    int rank = 0;
                    for (int i = 0; i < answer.path("hits").size(); i++) {
                        if (answer.path("hits").get(i).path("id").asString().equals(query.getValue())) {
                            rank = i + 1;
                            break;
                        }
                    }
                    hits += rank == 1 ? 1 : 0;
                    reciprocal += rank == 0 ? 0 : 1.0 / rank;
                    if (rank != 1 && mode.equals("hybrid")) {
                        misses.add("\"" + query.getKey() + "\" (rank " + (rank == 0 ? "> 10" : rank) + ")");
                    }
                }
                scores.put(mode, new double[] {hits / ids.size(), reciprocal / ids.size()});
            }
            double bestHit = Math.max(scores.get("keyword")[0], scores.get("semantic")[0]);
            double bestMrr = Math.max(scores.get("keyword")[1], scores.get("semantic")[1]);
            List<List<String>> table = new ArrayList<>();
            table.add(List.of(
                    "mode", "hit@1", "MRR@10", "hit@1 / better of the other two", "MRR / better of the other two"));
            for (String mode : MODES) {
                double[] s = scores.get(mode);
                table.add(List.of(
                        mode,
                        String.format(Locale.ROOT, "%.3f", s[0]),
                        String.format(Locale.ROOT, "%.3f", s[1]),
                        String.format(Locale.ROOT, "%.2f×", s[0] / bestHit),
                        String.format(Locale.ROOT, "%.2f×", s[1] / bestMrr)));
            }
            boolean met = scores.get("hybrid")[0] >= bestHit && scores.get("hybrid")[1] >= bestMrr;
            report.section(
                    "8. Search quality",
                    List.of(
                            String.format(
                                    Locale.ROOT,
                                    "%d QA pairs of a help desk (`QualitySet`), each asked for by a paraphrase, "
                                            + "with the in-process model (all-MiniLM-L6-v2, quantized) "
                                            + "on PostgreSQL; k = 10. Target: `hybrid` at least as good "
                                            + "as the better of the other two on both measures: %s.",
                                    ids.size(),
                                    met ? "met" : "MISSED"),
                            "Paraphrases `hybrid` does not put first: "
                                    + (misses.isEmpty() ? "none." : String.join(", ", misses) + ".")),
                    table);
        }
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
