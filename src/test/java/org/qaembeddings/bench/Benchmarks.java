package org.qaembeddings.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs the benchmarks and writes {@code docs/benchmarks.md}. Not part of the test run:
 * {@code ./mvnw -B -Pbench verify} builds the jar and runs them; {@code -Dbench.args="..."} passes
 * options, e.g. {@code --only=2,5 --pipeline-pairs=50000 --rounds=5 --search-pairs=100000}.
 */
public final class Benchmarks {

    /** The options, each {@code --name=value}. */
    record Options(
            Set<Integer> only,
            int rounds,
            int pairs,
            int pipelinePairs,
            int dimensions,
            String encoding,
            int saves,
            int concurrency,
            int scaleRows,
            int searchPairs,
            Path out) {

        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (String arg : args) {
                if (arg.isBlank()) {
                    continue;
                }
                if (!arg.startsWith("--") || !arg.contains("=")) {
                    throw new IllegalArgumentException("options are --name=value, got " + arg);
                }
                given.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            }
            Set<Integer> only = new TreeSet<>();
            Arrays.stream(given.getOrDefault("only", "1,2,3,4,5,6,7,8,9").split(","))
                    .map(String::trim)
                    .map(Integer::parseInt)
                    .forEach(only::add);
            Options o = new Options(
                    only,
                    Integer.parseInt(given.getOrDefault("rounds", "5")),
                    Integer.parseInt(given.getOrDefault("pairs", "1000")),
                    Integer.parseInt(given.getOrDefault("pipeline-pairs", "20000")),
                    Integer.parseInt(given.getOrDefault("dimensions", "1536")),
                    given.getOrDefault("encoding", "base64"),
                    Integer.parseInt(given.getOrDefault("saves", "2000")),
                    Integer.parseInt(given.getOrDefault("concurrency", "8")),
                    Integer.parseInt(given.getOrDefault("scale-rows", "1000000")),
                    Integer.parseInt(given.getOrDefault("search-pairs", "1000000")),
                    Path.of(given.getOrDefault("out", "docs/benchmarks.md")));
            given.keySet()
                    .removeAll(Set.of(
                            "only",
                            "rounds",
                            "pairs",
                            "pipeline-pairs",
                            "dimensions",
                            "encoding",
                            "saves",
                            "concurrency",
                            "scale-rows",
                            "search-pairs",
                            "out"));
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("unknown options " + given.keySet());
            }
            return o;
        }
    }

    private Benchmarks() {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        String command = "./mvnw -B -Pbench verify"
                + (args.length == 0 || String.join("", args).isBlank()
                        ? ""
                        : " -Dbench.args=\"" + String.join(" ", args).trim() + "\"");
        Report report = new Report(command);
        long start = System.nanoTime();
        if (options.only().contains(1)) {
            new LocalModelBenchmark(options).run(report);
        }
        if (options.only().contains(2)) {
            new PipelineBenchmark(options).run(report);
        }
        if (options.only().contains(3)) {
            new SaveLatencyBenchmark(options).run(report);
        }
        if (options.only().contains(4)) {
            new FootprintBenchmark(options).run(report);
        }
        if (options.only().contains(5)) {
            new ScaleBenchmark(options).run(report);
        }
        if (options.only().contains(6)) {
            new DurabilityBenchmark(options).run(report);
        }
        if (options.only().contains(7)) {
            new SearchScaleBenchmark(options).run(report);
        }
        if (options.only().contains(8)) {
            new SearchQualityBenchmark().run(report);
        }
        if (options.only().contains(9)) {
            new ReembedBenchmark(options).run(report);
        }
        report.write(options.out());
        System.out.printf("benchmarks took %.0f s%n", (System.nanoTime() - start) / 1e9);
        System.exit(0);
    }
}
