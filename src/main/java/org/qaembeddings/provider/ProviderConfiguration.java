package org.qaembeddings.provider;

import java.net.http.HttpClient;
import java.time.Clock;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import tools.jackson.databind.json.JsonMapper;

/** Builds the one provider that {@code embedding.provider} names. */
@Configuration(proxyBeanMethods = false)
class ProviderConfiguration {

    /** Which provider makes the vectors: {@code embedding.provider}. */
    enum Kind { LOCAL, OPENAI }

    @ConfigurationProperties("embedding")
    record ProviderSelection(@DefaultValue("local") Kind provider) {
    }

    @Bean(destroyMethod = "close")
    EmbeddingProvider embeddingProvider(ProviderSelection selection, OpenAiProperties openAi, JsonMapper json,
            Clock clock) {
        return switch (selection.provider()) {
            case LOCAL -> new LocalEmbeddingProvider();
            case OPENAI -> new OpenAiEmbeddingProvider(openAi, json, HttpClient.newBuilder()
                    .connectTimeout(openAi.connectTimeout())
                    .version(HttpClient.Version.HTTP_1_1)
                    .build(), clock);
        };
    }
}
