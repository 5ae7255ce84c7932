package org.qaembeddings.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The footprint baseline: a JVM that holds only the model. It prints READY once the model has
 * embedded a first text, then embeds {@code n} benchmark texts on "RUN n", and stops on EOF.
 */
public final class BareModel {

    private BareModel() {}

    public static void main(String[] args) throws Exception {
        EmbeddingModel model = BareModels.allMiniLmL6V2Quantized();
        model.embed("warm up");
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith("RUN ")) {
                int n = Integer.parseInt(line.substring(4).trim());
                List<TextSegment> texts = Texts.pairs(n, 1).stream()
                        .map(p -> TextSegment.from(p.rendered()))
                        .toList();
                model.embedAll(texts);
                System.out.println("DONE");
                System.out.flush();
            }
        }
    }
}
