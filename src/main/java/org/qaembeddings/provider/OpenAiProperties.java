package org.qaembeddings.provider;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code embedding.openai.*}: any OpenAI-compatible {@code /embeddings} endpoint.
 *
 * @param baseUrl the API root that {@code /embeddings} is appended to, e.g. {@code https://api.openai.com/v1}
 * @param apiKey sent as a bearer token; never logged or shown (blank: no Authorization header)
 * @param model sent as {@code model}; also the name costs are recorded under
 * @param dimensions sent as {@code dimensions} when set; when unset, the model's known size is checked
 * @param maxInputTokens inputs are cut to this many tokens (cl100k_base) before they are sent
 * @param maxRequestTokens batches are split so that no request carries more tokens than this
 * @param connectTimeout time to open a connection
 * @param timeout time for one whole request, from sending to the last byte of the answer
 * @param encodingFormat how vectors travel: {@code base64} (little-endian float32, about a third of
 *     the bytes of {@code float} and far cheaper to read) or {@code float} (JSON numbers); answers
 *     in either form are read whatever was asked, for servers that ignore the parameter
 */
@ConfigurationProperties("embedding.openai")
public record OpenAiProperties(
        @DefaultValue("https://api.openai.com/v1") URI baseUrl,
        String apiKey,
        @DefaultValue("text-embedding-3-small") String model,
        Integer dimensions,
        @DefaultValue("8191") int maxInputTokens,
        @DefaultValue("300000") int maxRequestTokens,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("60s") Duration timeout,
        @DefaultValue("base64") EncodingFormat encodingFormat) {

    /** These properties with another model and width (null: the model's own). */
    OpenAiProperties withModel(String otherModel, Integer otherDimensions) {
        return new OpenAiProperties(
                baseUrl,
                apiKey,
                otherModel,
                otherDimensions,
                maxInputTokens,
                maxRequestTokens,
                connectTimeout,
                timeout,
                encodingFormat);
    }

    /** The {@code encoding_format} asked of the provider. */
    public enum EncodingFormat {
        BASE64,
        FLOAT;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public OpenAiProperties {
        String scheme = baseUrl.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("embedding.openai.base-url must be an http(s) URL, was " + baseUrl);
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("embedding.openai.model must not be blank");
        }
        if (dimensions != null && (dimensions < 1 || dimensions > 16_384)) {
            throw new IllegalArgumentException("embedding.openai.dimensions must be 1..16384, was " + dimensions);
        }
        if (maxInputTokens < 1 || maxInputTokens > 1_000_000) {
            throw new IllegalArgumentException(
                    "embedding.openai.max-input-tokens must be 1..1000000, was " + maxInputTokens);
        }
        if (maxRequestTokens < maxInputTokens) {
            throw new IllegalArgumentException("embedding.openai.max-request-tokens must be at least "
                    + "embedding.openai.max-input-tokens (" + maxInputTokens + "), was " + maxRequestTokens);
        }
        requirePositive("embedding.openai.connect-timeout", connectTimeout);
        requirePositive("embedding.openai.timeout", timeout);
    }

    private static void requirePositive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    boolean hasApiKey() {
        return apiKey != null && !apiKey.isBlank();
    }

    /** Keeps the key out of logs and failure analyses that print the bound properties. */
    @Override
    public String toString() {
        return "OpenAiProperties[baseUrl=" + baseUrl + ", apiKey=" + (hasApiKey() ? "******" : "(none)")
                + ", model=" + model + ", dimensions=" + dimensions + ", maxInputTokens=" + maxInputTokens
                + ", maxRequestTokens=" + maxRequestTokens
                + ", connectTimeout=" + connectTimeout + ", timeout=" + timeout + ", encodingFormat=" + encodingFormat
                + "]";
    }
}
