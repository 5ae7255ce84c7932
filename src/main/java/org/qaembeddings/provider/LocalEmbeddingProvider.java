package org.qaembeddings.provider;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * all-MiniLM-L6-v2 (quantized), run in-process from the ONNX model that LangChain4j ships inside
 * its Maven artifact: no network, no API key, no cost.
 *
 * <p>The model is run here rather than through LangChain4j's {@code embedAll}: each text is
 * tokenized once, and cut at the model's 256-token window from those same tokens (LangChain4j
 * tokenizes twice more, and cuts or averages windows by its own rules). Each text gets its own ONNX
 * run, the runs of one call spread over the cores. Texts are never padded into one run together:
 * the model quantizes its activations per run, so a text's vector would depend on its neighbours.
 * The vectors are LangChain4j's: the mean of the last hidden states, normalized.
 */
final class LocalEmbeddingProvider implements EmbeddingProvider {

    static final String MODEL = "all-minilm-l6-v2-q";
    static final int DIMENSIONS = 384;
    /** sentence-transformers' max_seq_length for this model, [CLS] and [SEP] included. */
    static final int MAX_INPUT_TOKENS = 256;

    private static final int SPECIAL_TOKENS = 2;
    private static final String TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";
    private static final String ONNX_MODEL = "/all-minilm-l6-v2-q.onnx";

    /** What the model needs at run time; loaded once, off the caller's thread. */
    private record Model(HuggingFaceTokenizer tokenizer, OrtSession session, boolean takesTokenTypes) {}

    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final ExecutorService runs =
            Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), r -> {
                Thread t = new Thread(r, "local-model");
                t.setDaemon(true);
                return t;
            });
    // Loading takes a second or more; started here, it overlaps the rest of the application's start-up.
    private final CompletableFuture<Model> loading = CompletableFuture.supplyAsync(this::load, runs);

    private Model load() {
        OrtSession session = loadModel(environment);
        try {
            return new Model(loadTokenizer(), session, session.getInputNames().contains("token_type_ids"));
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    /** The loaded model; waits for the load, and rethrows its failure. */
    private Model loaded() {
        try {
            return loading.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Override
    public void awaitReady() {
        loaded();
    }

    private static HuggingFaceTokenizer loadTokenizer() {
        try (InputStream json = resource(TOKENIZER)) {
            // The shipped tokenizer.json cuts at 128 tokens; we cut ourselves, so that we know where.
            return HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OrtSession loadModel(OrtEnvironment environment) {
        try (InputStream onnx = resource(ONNX_MODEL);
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return environment.createSession(onnx.readAllBytes(), options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException("the model " + ONNX_MODEL + " could not be loaded", e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = AllMiniLmL6V2QuantizedEmbeddingModel.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " missing from the model jar");
        }
        return in;
    }

    @Override
    public String kind() {
        return "local";
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
        return loaded().tokenizer().encode(text, false, false).getIds().length + SPECIAL_TOKENS;
    }

    @Override
    public ProviderResult embed(List<String> texts) {
        Model model = loaded();
        List<Future<float[]>> vectors = new ArrayList<>(texts.size());
        int tokens = 0;
        for (String text : texts) {
            long[] ids = window(model.tokenizer().encode(text, true, false).getIds());
            tokens += ids.length;
            vectors.add(runs.submit(() -> run(model, ids)));
        }
        List<float[]> out = new ArrayList<>(texts.size());
        try {
            for (Future<float[]> vector : vectors) {
                out.add(vector.get());
            }
        } catch (ExecutionException e) {
            throw ProviderException.inputRejected(
                    "local model failed: " + e.getCause().getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProviderException.interrupted("interrupted while embedding", e);
        } finally {
            vectors.forEach(v -> v.cancel(true));
        }
        return new ProviderResult(out, tokens, MODEL);
    }

    /** The first 255 tokens and the closing [SEP] of a text longer than the model's window. */
    private static long[] window(long[] ids) {
        if (ids.length <= MAX_INPUT_TOKENS) {
            return ids;
        }
        long[] cut = Arrays.copyOf(ids, MAX_INPUT_TOKENS);
        cut[MAX_INPUT_TOKENS - 1] = ids[ids.length - 1];
        return cut;
    }

    /** One ONNX run for one text. */
    private float[] run(Model model, long[] ids) throws OrtException {
        long[] shape = {1, ids.length};
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (model.takesTokenTypes()) {
                inputs.put(
                        "token_type_ids",
                        OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[ids.length]), shape));
            }
            try (OrtSession.Result result = model.session().run(inputs)) {
                return normalizedMean(((float[][][]) result.get(0).getValue())[0]);
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static float[] normalizedMean(float[][] hidden) {
        float[] mean = new float[DIMENSIONS];
        int tokens = hidden.length;
        for (int t = 0; t < tokens; t++) {
            for (int d = 0; d < DIMENSIONS; d++) {
                mean[d] += hidden[t][d];
            }
        }
        double norm = 0;
        for (int d = 0; d < DIMENSIONS; d++) {
            mean[d] /= tokens;
            norm += mean[d] * mean[d];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int d = 0; d < DIMENSIONS; d++) {
            mean[d] *= scale;
        }
        return mean;
    }

    @Override
    public void close() {
        runs.shutdownNow();
        loading.thenAccept(model -> {
            closeQuietly(model.session());
            model.tokenizer().close();
        });
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // closing at shutdown or after a failed load: nothing left to do with the error
        }
    }
}
