package org.qaembeddings.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service as its own process, started the way the README starts it (the extracted
 * jar with its class data sharing archive), so that fault tests can kill it for real: SIGKILL with
 * {@link #kill()}, SIGTERM with {@link #terminate()}. Its output goes to {@code target/it-logs}.
 */
public final class ServiceProcess implements AutoCloseable {

    /** Relative, as the archive was recorded: the JVM uses the archive only for the class path it was made with. */
    private static final Path APP = Path.of("target/app/qa-embeddings.jar");

    private static final Path ARCHIVE = Path.of("target/app/qa-embeddings.jsa");

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private ServiceProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts one process with {@code properties} (as --name=value) and waits until it is ready. */
    public static ServiceProcess start(String name, Map<String, String> properties) throws IOException {
        return start(name, properties, Path.of(""));
    }

    /**
     * Starts one process in {@code directory} (where the embedded defaults keep {@code ./data}) with
     * {@code properties} (as --name=value) and waits until it is ready. Outside the project's own
     * directory it starts without the class data sharing archive, which is bound to the jar's
     * relative path.
     */
    public static ServiceProcess start(String name, Map<String, String> properties, Path directory) throws IOException {
        boolean here = directory.toAbsolutePath().normalize().equals(Path.of("").toAbsolutePath());
        Path app = here ? APP : APP.toAbsolutePath();
        if (!Files.exists(APP)) {
            throw new IllegalStateException(APP + " is missing: the process tests run after package (./mvnw verify)");
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path logs = Files.createDirectories(Path.of("target/it-logs").toAbsolutePath());
        Path log = logs.resolve(name + "-" + port + ".log");
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms32m", "-Xmx512m"));
        if (here && Files.exists(ARCHIVE)) {
            command.add("-XX:SharedArchiveFile=" + ARCHIVE);
        }
        command.addAll(List.of("-jar", app.toString(), "--server.port=" + port));
        properties.forEach((k, v) -> command.add("--" + k + "=" + v));
        Process process = new ProcessBuilder(command)
                .directory(directory.toAbsolutePath().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ServiceProcess service = new ServiceProcess(name, process, port, log);
        Api api = service.api();
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
                    }
                    try {
                        return api.get("/actuator/health/readiness").status() == 200;
                    } catch (IllegalStateException notYetListening) {
                        return false;
                    }
                });
        return service;
    }

    public Api api() {
        return new Api(port);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** SIGKILL: the process gets no chance to finish anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as an orchestrator stops a node. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to end; false when it has not within {@code limit}. */
    public boolean awaitExit(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
