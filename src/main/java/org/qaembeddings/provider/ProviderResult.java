package org.qaembeddings.provider;

import java.util.List;

/**
 * What one provider call returned.
 *
 * @param vectors one per input text, in input order, all of the same length
 * @param promptTokens tokens the provider counted (and bills) for the call
 * @param model the model that made the vectors
 */
public record ProviderResult(List<float[]> vectors, int promptTokens, String model) {

    public ProviderResult {
        vectors = List.copyOf(vectors);
    }
}
