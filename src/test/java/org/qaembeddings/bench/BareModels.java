package org.qaembeddings.bench;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The benchmarks' baseline: LangChain4j's own in-process model over the same ONNX file, with the
 * model's 256-token window. The tokenizer.json shipped in the jar cuts at 128 tokens, so
 * {@code AllMiniLmL6V2QuantizedEmbeddingModel} would read half of a long text and do half the work
 * the service does; here its truncation is set to 256, nothing else changed.
 */
final class BareModels {

    private BareModels() {}

    static EmbeddingModel allMiniLmL6V2Quantized() {
        try {
            Path dir = Files.createTempDirectory("bare-model");
            Path model = dir.resolve("model.onnx");
            Path tokenizer = dir.resolve("tokenizer.json");
            try (InputStream in = resource("/all-minilm-l6-v2-q.onnx")) {
                Files.copy(in, model);
            }
            JsonMapper json = JsonMapper.builder().build();
            ObjectNode config;
            try (InputStream in = resource("/all-minilm-l6-v2-q-tokenizer.json")) {
                config = (ObjectNode) json.readTree(in);
            }
            ((ObjectNode) config.get("truncation")).put("max_length", 256);
            Files.write(tokenizer, json.writeValueAsBytes(config));
            model.toFile().deleteOnExit();
            tokenizer.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return new OnnxEmbeddingModel(model, tokenizer, PoolingMode.MEAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = AllMiniLmL6V2QuantizedEmbeddingModel.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " missing from the model jar");
        }
        return in;
    }
}
