package org.qaembeddings.provider;

import java.time.Clock;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** Builds the one provider that {@code embedding.provider} names. */
@Configuration(proxyBeanMethods = false)
class ProviderConfiguration {

    /** Which provider makes the vectors: {@code embedding.provider}. */
    enum Kind {
        LOCAL,
        OPENAI
    }

    @ConfigurationProperties("embedding")
    record ProviderSelection(@DefaultValue("local") Kind provider) {}

    @Bean(destroyMethod = "close")
    EmbeddingProvider embeddingProvider(
            ProviderSelection selection, OpenAiProperties openAi, JsonMapper json, Clock clock) {
        return switch (selection.provider()) {
            case LOCAL -> new LocalEmbeddingProvider();
            case OPENAI -> ProviderFactory.openAi(openAi, json, clock);
        };
    }

    /**
     * Holds the start of the web server (and of the embedding workers) until the provider is ready,
     * so that an open port and {@code /actuator/health} UP mean the model is loaded, while the
     * load itself overlaps the rest of start-up.
     */
    @Bean
    SmartLifecycle embeddingProviderReady(EmbeddingProvider provider) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                provider.awaitReady();
                running = true;
            }

            @Override
            public void stop() {
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return Integer.MIN_VALUE;
            }
        };
    }
}
