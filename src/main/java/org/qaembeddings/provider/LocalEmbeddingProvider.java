package org.qaembeddings.provider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

/**
 * all-MiniLM-L6-v2 (quantized), run in-process from the ONNX model that LangChain4j ships inside
 * its Maven artifact: no network, no API key, no cost.
 */
final class LocalEmbeddingProvider implements EmbeddingProvider {

    static final String MODEL = "all-minilm-l6-v2-q";
    static final int DIMENSIONS = 384;
    /** sentence-transformers' max_seq_length for this model, [CLS] and [SEP] included. */
    static final int MAX_INPUT_TOKENS = 256;
    private static final int SPECIAL_TOKENS = 2;
    private static final String TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";

    private final AllMiniLmL6V2QuantizedEmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
    private final HuggingFaceTokenizer tokenizer = loadTokenizer();

    private static HuggingFaceTokenizer loadTokenizer() {
        try (InputStream json = AllMiniLmL6V2QuantizedEmbeddingModel.class.getResourceAsStream(TOKENIZER)) {
            if (json == null) {
                throw new IllegalStateException("tokenizer " + TOKENIZER + " missing from the model jar");
            }
            // The shipped tokenizer.json cuts at 128 tokens; we cut ourselves, so that we know where.
            return HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String model() {
        return MODEL;
    }

    @Override
    public int dimensions() {
        return DIMENSIONS;
    }

    @Override
    public int maxInputTokens() {
        return MAX_INPUT_TOKENS;
    }

    @Override
    public int countTokens(String text) {
        return tokenizer.encode(text, false, false).getIds().length + SPECIAL_TOKENS;
    }

    @Override
    public ProviderResult embed(List<String> texts) {
        List<TextSegment> segments = new ArrayList<>(texts.size());
        int tokens = 0;
        for (String text : texts) {
            Fitted fitted = fitted(text);
            tokens += fitted.tokens();
            segments.add(TextSegment.from(fitted.text()));
        }
        List<Embedding> embeddings;
        try {
            embeddings = model.embedAll(segments).content();
        } catch (RuntimeException e) {
            throw new ProviderException(ProviderException.Kind.PERMANENT,
                    "local model failed: " + e.getClass().getSimpleName(), null, e, true);
        }
        List<float[]> vectors = new ArrayList<>(embeddings.size());
        for (Embedding embedding : embeddings) {
            vectors.add(embedding.vector());
        }
        return new ProviderResult(vectors, tokens, MODEL);
    }

    /** A text as it goes to the model, and its tokens there, [CLS] and [SEP] included. */
    private record Fitted(String text, int tokens) {
    }

    @Override
    public String fit(String text) {
        return fitted(text).text();
    }

    private Fitted fitted(String text) {
        CharSpan[] spans = tokenizer.encode(text, false, false).getCharTokenSpans();
        int keep = Math.min(spans.length, MAX_INPUT_TOKENS - SPECIAL_TOKENS);
        return new Fitted(keep == spans.length ? text : cut(text, spans[keep - 1]), keep + SPECIAL_TOKENS);
    }

    /** Spans count code points, Java strings UTF-16 units. */
    private static String cut(String text, CharSpan lastKept) {
        return text.substring(0, text.offsetByCodePoints(0, lastKept.getEnd()));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
