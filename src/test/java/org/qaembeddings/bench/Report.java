package org.qaembeddings.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's output: printed as it goes, written as Markdown at the end. */
final class Report {

    private final List<String> sections = new ArrayList<>();
    private final String command;

    Report(String command) {
        this.command = command;
    }

    /** A section: a title, a few lines of setup, and a table whose first row is the header. */
    void section(String title, List<String> notes, List<List<String>> table) {
        StringBuilder out = new StringBuilder("## ").append(title).append("\n\n");
        notes.forEach(n -> out.append(n).append("\n"));
        if (!notes.isEmpty()) {
            out.append("\n");
        }
        for (int i = 0; i < table.size(); i++) {
            out.append("| ").append(String.join(" | ", table.get(i))).append(" |\n");
            if (i == 0) {
                out.append("|").append("---|".repeat(table.get(0).size())).append("\n");
            }
        }
        sections.add(out.toString());
        System.out.println(out);
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (IOException e) {
            // not Linux: the name is only informative
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB max heap of the benchmark JVM, Java "
                + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    void write(Path file) throws IOException {
        StringBuilder out = new StringBuilder("# Benchmarks\n\n");
        out.append("Reproduce with:\n\n    ").append(command).append("\n\n");
        out.append("Run on ")
                .append(LocalDate.now(ZoneOffset.UTC))
                .append(", ")
                .append(machine())
                .append(".\n");
        out.append("Every figure is the median of the measured rounds with (min – max) after it; every ratio is "
                + "against a baseline measured in the same run, round by round, since the machine is shared. "
                + "One rule for every target: it is met when the median of its rounds meets it. "
                + "What the figures mean, what was changed to reach them and why some targets are still missed: "
                + "[benchmark-notes.md](benchmark-notes.md).\n\n");
        sections.forEach(s -> out.append(s).append("\n"));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, out.toString());
        System.out.println("written to " + file);
    }
}
