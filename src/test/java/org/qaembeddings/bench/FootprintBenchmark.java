package org.qaembeddings.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import tools.jackson.databind.json.JsonMapper;

/**
 * 4. The jar as a user runs it (embedded H2, in-process model, JVM defaults): time from process
 * start to a healthy service with its model loaded, and resident memory idle and while it embeds
 * the pairs of run 1. Baseline: a JVM holding only the model, measured the same way.
 */
final class FootprintBenchmark {

    private static final Path JAR = Path.of("target/app/qa-embeddings.jar");
    /** The JVM options of the README's run command (keep them in step), so that the service runs as users run it. */
    private static final List<String> JVM_OPTIONS = List.of(System.getProperty(
                            "bench.service.jvm", "-Xms32m -Xmx512m -XX:SharedArchiveFile=target/app/qa-embeddings.jsa")
                    .split(" "))
            .stream()
            .filter(o -> !o.isBlank())
            .toList();

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Benchmarks.Options options;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    FootprintBenchmark(Benchmarks.Options options) {
        this.options = options;
    }

    /** One process's figures: seconds to ready, MiB resident when idle and at most under load. */
    private record Footprint(double ready, double idleMib, double loadMib) {}

    void run(Report report) throws Exception {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: run the benchmarks with ./mvnw -B -Pbench verify");
        }
        List<Footprint> service = new ArrayList<>();
        List<Footprint> bare = new ArrayList<>();
        // each round starts two JVMs and runs run 1 again: three rounds keep the whole run under 15 minutes
        int rounds = Math.min(options.rounds(), 3);
        for (int round = -1; round < rounds; round++) {
            Footprint s = service();
            Footprint b = bare();
            System.out.printf(Locale.ROOT, "footprint round %d: service %s, bare model %s%n", round, s, b);
            if (round >= 0) {
                service.add(s);
                bare.add(b);
            }
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        report.section(
                "4. Footprint",
                List.of(String.format(
                        Locale.ROOT,
                        "`java %s -jar target/app/qa-embeddings.jar`, the README's command "
                                + "(the extracted jar and its class data sharing archive, both "
                                + "made by `package`), with its embedded defaults (H2 in a "
                                + "temporary directory, the in-process model; `%s`). Ready: from process start until "
                                + "`/actuator/health` answers UP (the model is loaded before the server starts). Idle: "
                                + "resident set 5 s after ready. Under load: the highest resident set, sampled every "
                                + "100 ms, while %,d pairs of run 1 are saved and embedded. "
                                + "Baseline: a JVM holding only the model (`BareModel`), ready "
                                + "once it has embedded one text, loaded by `embedAll` over the "
                                + "same texts, with the JVM's default heap limit. %d rounds after one warm-up.",
                        String.join(" ", JVM_OPTIONS),
                        java,
                        options.pairs(),
                        Math.min(options.rounds(), 3))),
                List.of(
                        List.of("figure", "service", "bare model (baseline)", "service / baseline", "target"),
                        row("seconds to ready", service, bare, Footprint::ready, "%.2f", "< 6 s", 6),
                        row(
                                "RSS idle, MiB",
                                service,
                                bare,
                                Footprint::idleMib,
                                "%.0f",
                                "< 600 MB",
                                600 * 1e6 / (1 << 20)),
                        row(
                                "RSS under load, MiB",
                                service,
                                bare,
                                Footprint::loadMib,
                                "%.0f",
                                "< 600 MB",
                                600 * 1e6 / (1 << 20))));
    }

    private static List<String> row(
            String name,
            List<Footprint> service,
            List<Footprint> bare,
            ToDoubleFunction<Footprint> figure,
            String format,
            String target,
            double limit) {
        List<Double> s = service.stream().map(figure::applyAsDouble).toList();
        List<Double> b = bare.stream().map(figure::applyAsDouble).toList();
        List<Double> ratio = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            ratio.add(s.get(i) / b.get(i));
        }
        return List.of(
                name,
                Summary.of(s).format(format),
                Summary.of(b).format(format),
                Summary.of(ratio).format("%.2f"),
                target + (Summary.of(s).max() < limit ? ": met" : ": MISSED"));
    }

    private Footprint service() throws Exception {
        Path dir = Files.createTempDirectory("qa-footprint");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String base = "http://127.0.0.1:" + port;
        long start = System.nanoTime();
        List<String> command = new ArrayList<>(List.of("java"));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of(
                "-jar",
                JAR.toAbsolutePath().toString(),
                "--server.port=" + port,
                "--security.rate-limit.writes-per-second=1000000",
                "--security.rate-limit.burst=1000000",
                "--spring.datasource.url=jdbc:h2:file:" + dir.resolve("db")
                        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH"));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.log").toFile())
                .start();
        try {
            while (!healthy(base + "/actuator/health")) {
                if (!process.isAlive() || System.nanoTime() - start > 120e9) {
                    throw new IllegalStateException("service did not start; see " + dir.resolve("out.log"));
                }
                Thread.sleep(10);
            }
            double ready = (System.nanoTime() - start) / 1e9;
            Thread.sleep(5000);
            double idle = rssMib(process.pid());
            List<Texts.Pair> pairs = Texts.pairs(options.pairs(), 1);
            double load = whileSampling(process.pid(), () -> {
                ExecutorService clients = Executors.newFixedThreadPool(4);
                try {
                    List<Future<?>> posts = new ArrayList<>();
                    for (int c = 0; c < 4; c++) {
                        int first = c;
                        posts.add(clients.submit(() -> {
                            for (int i = first; i < pairs.size(); i += 4) {
                                post(base + "/api/qa-pairs", Service.pairJson(pairs.get(i)));
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : posts) {
                        f.get();
                    }
                } finally {
                    clients.shutdownNow();
                }
                while (JSON.readTree(get(base + "/api/embeddings/health"))
                                .path("completedCount")
                                .asLong()
                        < pairs.size()) {
                    Thread.sleep(50);
                }
                return null;
            });
            return new Footprint(ready, idle, load);
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    private Footprint bare() throws Exception {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(
                        "java", "-cp", System.getProperty("java.class.path"), BareModel.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            await(out, "READY");
            double ready = (System.nanoTime() - start) / 1e9;
            Thread.sleep(5000);
            double idle = rssMib(process.pid());
            double load = whileSampling(process.pid(), () -> {
                in.write("RUN " + options.pairs() + "\n");
                in.flush();
                await(out, "DONE");
                return null;
            });
            in.close();
            process.waitFor();
            return new Footprint(ready, idle, load);
        } finally {
            process.destroyForcibly();
        }
    }

    private static void await(BufferedReader out, String word) throws IOException {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.trim().equals(word)) {
                return;
            }
        }
        throw new IllegalStateException("the bare model process ended before " + word);
    }

    /** Runs {@code work}, sampling the process's resident set every 100 ms; returns the highest, in MiB. */
    private static double whileSampling(long pid, Callable<Void> work) throws Exception {
        AtomicLong highest = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                highest.accumulateAndGet((long) (rssMib(pid) * 1024), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        try {
            work.call();
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        return Math.max(highest.get() / 1024.0, rssMib(pid));
    }

    static double rssMib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            // the process ended between two samples
        }
        return 0;
    }

    private boolean healthy(String url) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("\"UP\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String get(String url) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private void post(String url, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("save failed: " + r.statusCode() + " " + r.body());
        }
    }
}
