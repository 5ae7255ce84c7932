package org.qaembeddings.bench;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import tools.jackson.databind.JsonNode;

/**
 * 9. A change of template re-embedded while saves and searches go on. N pairs embedded on
 * PostgreSQL, then the node restarted with another template: the switch re-embeds them all in the
 * background while two clients save and two search. Baselines, in the same round: the plain pipeline
 * embedding the same N pairs (no other load), and the same saves and searches once the switch is
 * done. The provider is an OpenAI-compatible server on loopback answering at once.
 */
final class ReembedBenchmark {

    private static final String NEW_TEMPLATE = "Q: {question}\nA: {answer}";
    /** The template of a third start, whose switch runs with no other load. */
    private static final String QUIET_TEMPLATE = "{question}\n{answer}";

    private static final int SAVERS = 2;
    private static final int SEARCHERS = 2;
    /** Saves one client makes at most in a load run: more than a switch of 20,000 pairs leaves time for. */
    private static final int MAX_SAVES = 20_000;

    private final Benchmarks.Options options;

    ReembedBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    /** Latencies of one load run, in milliseconds. */
    private record Load(List<Double> saves, List<Double> searches) {}

    void run(Report report) throws Exception {
        int n = options.pipelinePairs();
        List<Texts.Pair> pairs = Texts.pairs(n, 9);
        List<Double> plain = new ArrayList<>();
        List<Double> reembed = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> quiet = new ArrayList<>();
        List<Double> quietRatio = new ArrayList<>();
        List<Double> saveRatio = new ArrayList<>();
        List<Double> searchRatio = new ArrayList<>();
        List<Double> saveDuring = new ArrayList<>();
        List<Double> saveIdle = new ArrayList<>();
        List<Double> searchDuring = new ArrayList<>();
        List<Double> searchIdle = new ArrayList<>();
        List<Long> reembedCalls = new ArrayList<>();
        // the clients, and one thread that gathers a load run's results
        ExecutorService clients = Executors.newFixedThreadPool(SAVERS + SEARCHERS + 1);
        try (InstantOpenAiServer openai = new InstantOpenAiServer(options.dimensions(), 100)) {
            for (int round = -1; round < options.rounds(); round++) {
                Map<String, String> properties = new LinkedHashMap<>(Service.database(true));
                properties.putAll(openai.providerProperties(options.dimensions()));
                // one index for both starts: the second catches up from the first's position
                properties.put(
                        "search.index-dir",
                        Files.createTempDirectory("bench-reembed").toString());
                double plainRate;
                try (Service first = Service.start(properties)) {
                    Instant committed = first.insertPending(pairs);
                    plainRate = n / Service.seconds(committed, first.awaitCompleted(n, Duration.ofMinutes(10)));
                    first.awaitIndexed(Duration.ofMinutes(5));
                }
                properties.put("embedding.text-template", NEW_TEMPLATE);
                openai.reset();
                try (Service second = Service.start(properties)) {
                    second.awaitIndexed(Duration.ofMinutes(5));
                    AtomicBoolean over = new AtomicBoolean();
                    long seed = 100L * (round + 2);
                    Future<Load> during = clients.submit(() -> load(second, clients, over, seed));
                    JsonNode progress = awaitDone(second, Duration.ofMinutes(10));
                    over.set(true);
                    Load switching = during.get();
                    double seconds = Service.seconds(
                            Instant.parse(progress.path("startedAt").asString()),
                            Instant.parse(progress.path("finishedAt").asString()));
                    double rate = progress.path("pairs").asLong() / seconds;
                    long calls = openai.requests();
                    // the same load for as many requests, with no switch running
                    AtomicBoolean stop = new AtomicBoolean();
                    Load idle = loadFor(second, clients, stop, switching);
                    System.out.printf(
                            Locale.ROOT,
                            "re-embed round %d: plain pipeline %.0f/s, re-embed %.0f/s (%d pairs,"
                                    + " %d calls), save p99 %.1f / %.1f ms, search "
                                    + "p99 %.1f / %.1f ms (during / idle)%n",
                            round,
                            plainRate,
                            rate,
                            progress.path("pairs").asLong(),
                            calls,
                            Summary.quantile(switching.saves(), 0.99),
                            Summary.quantile(idle.saves(), 0.99),
                            Summary.quantile(switching.searches(), 0.99),
                            Summary.quantile(idle.searches(), 0.99));
                    if (round >= 0) {
                        plain.add(plainRate);
                        reembed.add(rate);
                        ratio.add(rate / plainRate);
                        saveDuring.add(Summary.quantile(switching.saves(), 0.99));
                        saveIdle.add(Summary.quantile(idle.saves(), 0.99));
                        searchDuring.add(Summary.quantile(switching.searches(), 0.99));
                        searchIdle.add(Summary.quantile(idle.searches(), 0.99));
                        saveRatio.add(saveDuring.get(saveDuring.size() - 1) / saveIdle.get(saveIdle.size() - 1));
                        searchRatio.add(
                                searchDuring.get(searchDuring.size() - 1) / searchIdle.get(searchIdle.size() - 1));
                        reembedCalls.add(calls);
                    }
                }
                properties.put("embedding.text-template", QUIET_TEMPLATE);
                try (Service third = Service.start(properties)) {
                    JsonNode progress = awaitDone(third, Duration.ofMinutes(10));
                    double rate = progress.path("pairs").asLong()
                            / Service.seconds(
                                    Instant.parse(progress.path("startedAt").asString()),
                                    Instant.parse(progress.path("finishedAt").asString()));
                    System.out.printf(
                            Locale.ROOT,
                            "re-embed round %d with no other load: %.0f/s (%d pairs)%n",
                            round,
                            rate,
                            progress.path("pairs").asLong());
                    if (round >= 0) {
                        quiet.add(rate);
                        quietRatio.add(rate / plain.get(plain.size() - 1));
                    }
                }
            }
        } finally {
            clients.shutdownNow();
        }
        report.section(
                "9. Re-embedding a changed template under load",
                List.of(String.format(
                        Locale.ROOT,
                        "%,d pairs embedded on PostgreSQL with the default template, then the node restarted with "
                                + "`embedding.text-template=%s`: the switch prices the pairs and re-embeds them all "
                                + "in the background while %d clients save new pairs and %d search (`hybrid`, 50 "
                                + "queries, cached vectors) as fast as they can. The openai provider against an "
                                + "OpenAI-compatible server on loopback answering at once (%d dimensions). "
                                + "Baselines in the same round: the plain pipeline embedding the same pairs with no "
                                + "other load, and the same saves and searches, as many, once the switch is done. A "
                                + "third start with yet another template re-embeds the pairs (now more, the saves' "
                                + "too) with no other load. %d rounds after one warm-up; the rule for every "
                                + "target is the median of the rounds.",
                        n,
                        NEW_TEMPLATE.replace("\n", "\\n"),
                        SAVERS,
                        SEARCHERS,
                        options.dimensions(),
                        options.rounds())),
                List.of(
                        List.of("figure", "value", "target"),
                        List.of(
                                "plain pipeline (baseline), embeddings/s",
                                Summary.of(plain).format("%,.0f"),
                                ""),
                        List.of(
                                "re-embed, pairs/s (start of the switch to its end)",
                                Summary.of(reembed).format("%,.0f"),
                                ""),
                        List.of("re-embed / plain pipeline", Summary.of(ratio).format("%.2f"), "printed"),
                        List.of(
                                "re-embed with no other load (a third start, another template), pairs/s",
                                Summary.of(quiet).format("%,.0f"),
                                ""),
                        List.of(
                                "re-embed with no other load / plain pipeline",
                                Summary.of(quietRatio).format("%.2f"),
                                "printed"),
                        List.of(
                                "save p99 during the switch / idle, ms",
                                Summary.of(saveDuring).format("%.1f") + " / "
                                        + Summary.of(saveIdle).format("%.1f"),
                                ""),
                        List.of("save p99 during / idle", Summary.of(saveRatio).format("%.2f"), "printed"),
                        List.of(
                                "search p99 during the switch / idle, ms",
                                Summary.of(searchDuring).format("%.1f") + " / "
                                        + Summary.of(searchIdle).format("%.1f"),
                                ""),
                        List.of(
                                "search p99 during / idle",
                                Summary.of(searchRatio).format("%.2f"),
                                "printed"),
                        List.of(
                                "provider calls of the switch and the saves, per round",
                                reembedCalls.toString(),
                                "≥ ⌈N/100⌉ = " + ((n + 99) / 100))));
    }

    /** Waits until the switch is done; returns its progress then. */
    private static JsonNode awaitDone(Service service, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            JsonNode progress = service.get("/api/embeddings/reembed").json();
            if ("DONE".equals(progress.path("state").asString())) {
                return progress;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("re-embed not done within " + limit + ": " + progress);
            }
            LockSupport.parkNanos(50_000_000); // polls a condition, with a deadline
        }
    }

    /** Saves and searches from their clients until {@code over}. */
    private static Load load(Service service, ExecutorService clients, AtomicBoolean over, long seed) throws Exception {
        return run(service, clients, over, Long.MAX_VALUE, Long.MAX_VALUE, seed);
    }

    /** The same load, stopped once it has made as many saves and searches as {@code like}. */
    private static Load loadFor(Service service, ExecutorService clients, AtomicBoolean stop, Load like)
            throws Exception {
        return run(
                service,
                clients,
                stop,
                like.saves().size(),
                like.searches().size(),
                7L + like.saves().size());
    }

    private static Load run(
            Service service, ExecutorService clients, AtomicBoolean over, long saves, long searches, long seed)
            throws Exception {
        List<Texts.Pair> queries = Texts.pairs(50, 3);
        List<Future<List<Double>>> savers = new ArrayList<>();
        List<Future<List<Double>>> searchers = new ArrayList<>();
        for (int c = 0; c < SAVERS; c++) {
            List<Texts.Pair> texts = Texts.pairs((int) Math.min(MAX_SAVES, saves / SAVERS + 1), seed * 31 + c);
            savers.add(clients.submit(() -> {
                List<Double> millis = new ArrayList<>();
                for (int i = 0; !over.get() && i < texts.size() && i < saves / SAVERS + 1; i++) {
                    long t = System.nanoTime();
                    Service.Response r = service.post("/api/qa-pairs", Service.pairJson(texts.get(i)));
                    millis.add((System.nanoTime() - t) / 1e6);
                    if (r.status() != 201) {
                        throw new IllegalStateException("save failed: " + r.status() + " " + r.body());
                    }
                }
                return millis;
            }));
        }
        for (int c = 0; c < SEARCHERS; c++) {
            int first = c;
            searchers.add(clients.submit(() -> {
                List<Double> millis = new ArrayList<>();
                for (int i = first; !over.get() && i / SEARCHERS < searches / SEARCHERS + 1; i += SEARCHERS) {
                    String q = URLEncoder.encode(queries.get(i % queries.size()).question(), StandardCharsets.UTF_8);
                    long t = System.nanoTime();
                    Service.Response r = service.get("/api/search?mode=hybrid&q=" + q);
                    millis.add((System.nanoTime() - t) / 1e6);
                    if (r.status() != 200) {
                        throw new IllegalStateException("search failed: " + r.status() + " " + r.body());
                    }
                }
                return millis;
            }));
        }
        List<Double> saveMillis = new ArrayList<>();
        for (Future<List<Double>> f : savers) {
            saveMillis.addAll(f.get());
        }
        List<Double> searchMillis = new ArrayList<>();
        for (Future<List<Double>> f : searchers) {
            searchMillis.addAll(f.get());
        }
        return new Load(saveMillis, searchMillis);
    }
}
