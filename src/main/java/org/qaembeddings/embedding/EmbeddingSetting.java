package org.qaembeddings.embedding;

import org.qaembeddings.provider.EmbeddingProvider;

/**
 * What makes a vector: the provider, the model, the width asked for and the template the pair's
 * text is rendered with. Vectors of two settings are never compared; a changed setting re-embeds.
 *
 * @param key a short hash of the other fields, recorded with every vector
 * @param provider "local" or "openai"
 * @param dimensions the width asked of the model; 0 when the model's own width is used
 */
public record EmbeddingSetting(String key, String provider, String model, int dimensions, String template) {

    /** 16 hex digits (64 bits) of SHA-256: short enough to store with every row, long enough never to collide. */
    static final int KEY_LENGTH = 16;

    static EmbeddingSetting of(String provider, String model, int dimensions, String template) {
        String key = EmbeddingText.hash(String.join("\u0000", provider, model, Integer.toString(dimensions), template))
                .substring(0, KEY_LENGTH);
        return new EmbeddingSetting(key, provider, model, dimensions, template);
    }

    static EmbeddingSetting of(EmbeddingProvider provider, String template) {
        return of(provider.kind(), provider.model(), provider.dimensions(), template);
    }
}
