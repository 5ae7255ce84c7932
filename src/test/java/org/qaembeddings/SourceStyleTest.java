package org.qaembeddings;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the formatter leaves alone: it wraps code at 120 columns, but not comments, string literals
 * or text blocks. This holds those to the same width.
 */
class SourceStyleTest {

    private static final int MAX_LINE = 120;

    @Test
    void noSourceLineIsLongerThan120Characters() throws IOException {
        List<String> tooLong = new ArrayList<>();
        for (String root : List.of("src/main/java", "src/test/java")) {
            try (Stream<Path> files = Files.walk(Path.of(root))) {
                for (Path file :
                        files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++) {
                        if (lines.get(i).length() > MAX_LINE) {
                            tooLong.add(
                                    file + ":" + (i + 1) + " (" + lines.get(i).length() + ")");
                        }
                    }
                }
            }
        }
        assertThat(tooLong).as("lines over %d characters", MAX_LINE).isEmpty();
    }
}
