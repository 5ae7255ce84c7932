package org.qaembeddings.provider;

import java.net.http.HttpClient;
import java.time.Clock;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Makes a provider for a setting other than the configured one: while a change of setting is
 * re-embedded, search queries are embedded by the setting whose vectors still answer. A remote one
 * uses the configured endpoint, key and limits with the other model and width.
 */
@Component
public class ProviderFactory {

    private final OpenAiProperties openAi;
    private final JsonMapper json;
    private final Clock clock;

    ProviderFactory(OpenAiProperties openAi, JsonMapper json, Clock clock) {
        this.openAi = openAi;
        this.json = json;
        this.clock = clock;
    }

    /**
     * A new provider of {@code kind} ("local", "openai") for {@code model} at {@code dimensions}
     * (0: the model's own); the caller closes it.
     *
     * @throws IllegalArgumentException when no such provider can be made here
     */
    public EmbeddingProvider create(String kind, String model, int dimensions) {
        return switch (kind) {
            case "local" -> {
                if (!LocalEmbeddingProvider.MODEL.equals(model)) {
                    throw new IllegalArgumentException("the local provider has no model " + model);
                }
                yield new LocalEmbeddingProvider();
            }
            // a model's own width is not asked for: older models refuse the parameter
            case "openai" ->
                openAi(
                        openAi.withModel(
                                model,
                                dimensions == 0
                                                || dimensions
                                                        == OpenAiEmbeddingProvider.KNOWN_DIMENSIONS.getOrDefault(
                                                                model, 0)
                                        ? null
                                        : dimensions),
                        json,
                        clock);
            default -> throw new IllegalArgumentException("no provider of kind " + kind);
        };
    }

    /** The OpenAI-compatible provider of {@code properties}: the configured one, or one for another model. */
    static EmbeddingProvider openAi(OpenAiProperties properties, JsonMapper json, Clock clock) {
        return new OpenAiEmbeddingProvider(
                properties,
                json,
                HttpClient.newBuilder()
                        .connectTimeout(properties.connectTimeout())
                        .version(HttpClient.Version.HTTP_1_1)
                        .build(),
                clock);
    }
}
