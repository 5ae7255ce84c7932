package org.qaembeddings.provider;

import java.util.List;

/**
 * Turns texts into vectors. One call is one request to the model (one HTTP request for a remote
 * provider), so callers batch. Implementations are thread-safe.
 */
public interface EmbeddingProvider extends AutoCloseable {

    /** Which kind of provider this is ("local", "openai"): part of the setting every vector records. */
    String kind();

    /** The model name recorded with every vector and every cost row. */
    String model();

    /** Dimensions of the vectors this provider returns, or 0 when it is only known from a response. */
    int dimensions();

    /** The most tokens one input may have; longer inputs are cut to this by {@link #embed}. */
    int maxInputTokens();

    /** The most tokens, all inputs together, that one call may carry. */
    default int maxRequestTokens() {
        return Integer.MAX_VALUE;
    }

    /** Tokens of {@code text} as the model counts them. */
    int countTokens(String text);

    /**
     * At least {@link #countTokens}, found without tokenizing where the tokenizer allows: callers
     * that only need to know that texts fit a limit skip the exact count when the bound fits.
     */
    default int maxTokensOf(String text) {
        return countTokens(text);
    }

    /**
     * Embeds {@code texts}, each cut to {@link #maxInputTokens()} tokens first.
     *
     * @return one vector per text, in the order of {@code texts}
     * @throws ProviderException when the model could not give a valid vector for every text
     */
    ProviderResult embed(List<String> texts);

    /**
     * Returns once the provider can serve {@link #embed}: a provider that loads a model in the
     * background blocks here until it has, and throws if it could not.
     */
    default void awaitReady() {}

    /** Frees what the provider holds (native memory, connections). */
    @Override
    default void close() {}
}
