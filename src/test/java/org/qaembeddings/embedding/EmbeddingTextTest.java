package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EmbeddingTextTest {

    @Test
    void rendersDefaultTemplate() {
        assertThat(new EmbeddingText(EmbeddingText.DEFAULT_TEMPLATE).render("Why?", "Because."))
                .isEqualTo("Question: Why?\nAnswer: Because.");
    }

    @Test
    void placeholdersInsideTheTextStayAsTyped() {
        assertThat(new EmbeddingText("{question} | {answer}").render("What is {answer}?", "{question}"))
                .isEqualTo("What is {answer}? | {question}");
    }

    @Test
    void hashFollowsTheRenderedText() {
        EmbeddingText text = new EmbeddingText(EmbeddingText.DEFAULT_TEMPLATE);
        assertThat(text.hash("q", "a"))
                .hasSize(64)
                .isEqualTo(text.hash("q", "a"))
                .isNotEqualTo(text.hash("q", "b"));
        assertThat(text.hash("q", "a")).isNotEqualTo(new EmbeddingText("{answer} {question}").hash("q", "a"));
    }

    @Test
    void templateMustNameBothFields() {
        assertThatThrownBy(() -> new EmbeddingText("only {question}"))
                .hasMessageContaining("embedding.text-template must contain {question} and {answer}");
    }
}
