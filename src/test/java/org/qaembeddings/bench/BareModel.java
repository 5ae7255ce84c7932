package org.qaembeddings.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

/**
 * The footprint baseline: a JVM that holds only the model. It prints READY once the model has
 * embedded a first text, then embeds {@code n} benchmark texts on "RUN n", and stops on EOF.
 */
public final class BareModel {

    private BareModel() {
    }

    public static void main(String[] args) throws Exception {
        AllMiniLmL6V2QuantizedEmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        model.embed("warm up");
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith("RUN ")) {
                int n = Integer.parseInt(line.substring(4).trim());
                // about 256 tokens, the most the service sends
                List<TextSegment> texts = Texts.pairs(n, 1).stream()
                        .map(p -> String.join(" ", Arrays.asList(p.rendered().split("\\s+")).subList(0,
                                Math.min(180, p.rendered().split("\\s+").length))))
                        .map(TextSegment::from).toList();
                model.embedAll(texts);
                System.out.println("DONE");
                System.out.flush();
            }
        }
    }
}
