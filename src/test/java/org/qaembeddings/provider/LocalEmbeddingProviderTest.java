package org.qaembeddings.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
        assertThat(result.promptTokens())
                .isEqualTo(provider.countTokens("How do I reset my password?")
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
    void vectorsAreLangChain4jsForTextsInsideTheWindow() {
        AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        List<String> texts = List.of(
                "short",
                "How do I reset my password?",
                "Question: Where is my invoice?\nAnswer: Settings > Billing > Invoices, as a PDF per month.",
                "Unicode: café, naïve, 数据库, emoji 😀 — and punctuation!?",
                // LangChain4j's tokenizer cuts at 128 tokens: stay below
                "Embeddings map text to vectors so that similar meanings end up close together. ".repeat(6));

        ProviderResult ours = provider.embed(texts);

        for (int i = 0; i < texts.size(); i++) {
            float[] theirs = reference.embed(texts.get(i)).content().vector();
            assertThat(cosine(ours.vectors().get(i), theirs)).as(texts.get(i)).isGreaterThan(0.99999);
            for (int d = 0; d < theirs.length; d++) {
                assertThat(ours.vectors().get(i)[d]).isCloseTo(theirs[d], within(1e-4f));
            }
        }
    }

    @Test
    void aTextsVectorDoesNotDependOnTheOtherTextsOfTheCall() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add("Text number " + i + " says " + "something rather long ".repeat(i % 9 * 7) + "and ends.");
        }

        ProviderResult batch = provider.embed(texts);

        for (int i = 0; i < texts.size(); i++) {
            float[] alone = provider.embed(List.of(texts.get(i))).vectors().get(0);
            for (int d = 0; d < alone.length; d++) {
                assertThat(batch.vectors().get(i)[d])
                        .as("text %d, dimension %d", i, d)
                        .isEqualTo(alone[d]);
            }
        }
    }

    @Test
    void tokensPast128CountUpToTheWindowOf256() {
        // LangChain4j's shipped tokenizer.json cuts at 128 tokens; the model reads 256
        String head = "Embeddings map text to vectors so that similar meanings end up close together. ".repeat(10);
        String billing = head + "This one is about invoices and billing.";
        String cooking = head + "This one is about recipes and cooking.";
        assertThat(provider.countTokens(billing)).isBetween(150, LocalEmbeddingProvider.MAX_INPUT_TOKENS);

        ProviderResult result = provider.embed(List.of(billing, cooking));

        assertThat(cosine(result.vectors().get(0), result.vectors().get(1))).isLessThan(0.9999);
    }

    @Test
    void countsTokensLikeTheModel() {
        assertThat(provider.countTokens("hello world")).isEqualTo(4);
    }
}
