package org.qaembeddings.provider;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The in-process all-MiniLM-L6-v2 model, run for real on real text. */
class LocalEmbeddingProviderTest {

    private static LocalEmbeddingProvider provider;

    @BeforeAll
    static void load() {
        provider = new LocalEmbeddingProvider();
    }

    @AfterAll
    static void close() {
        provider.close();
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        return dot;
    }

    private static double norm(float[] v) {
        return Math.sqrt(cosine(v, v));
    }

    @Test
    void embedsRealTextAsUnitVectorsOf384Dimensions() {
        ProviderResult result = provider.embed(List.of(
                "How do I reset my password?",
                "What are the steps to change my login password?",
                "The recipe needs two cups of flour and an egg."));

        assertThat(result.vectors()).hasSize(3).allSatisfy(v -> {
            assertThat(v).hasSize(384);
            assertThat(norm(v)).isCloseTo(1.0, within(1e-3));
        });
        double paraphrase = cosine(result.vectors().get(0), result.vectors().get(1));
        double unrelated = cosine(result.vectors().get(0), result.vectors().get(2));
        assertThat(paraphrase).isGreaterThan(unrelated + 0.3);
        assertThat(result.model()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(result.promptTokens()).isEqualTo(
                provider.countTokens("How do I reset my password?")
                        + provider.countTokens("What are the steps to change my login password?")
                        + provider.countTokens("The recipe needs two cups of flour and an egg."));
    }

    @Test
    void longTextIsCutAtTheModelsTokenLimit() {
        String head = "Embeddings map text to vectors so that similar meanings end up close together. ";
        String longText = head.repeat(60) + "A final sentence about something else entirely, like café 😀 emoji.";
        assertThat(provider.countTokens(longText)).isGreaterThan(LocalEmbeddingProvider.MAX_INPUT_TOKENS);

        ProviderResult whole = provider.embed(List.of(longText));
        ProviderResult withoutTail = provider.embed(List.of(head.repeat(60)));

        assertThat(whole.promptTokens()).isEqualTo(LocalEmbeddingProvider.MAX_INPUT_TOKENS);
        // everything past the limit is ignored, so the tail changes nothing
        assertThat(whole.vectors().get(0)).containsExactly(withoutTail.vectors().get(0));
    }

    @Test
    void countsTokensLikeTheModel() {
        assertThat(provider.countTokens("hello world")).isEqualTo(4);
    }
}
