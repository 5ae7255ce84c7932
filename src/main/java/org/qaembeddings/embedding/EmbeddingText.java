package org.qaembeddings.embedding;

import org.qaembeddings.system.Sha256;

/**
 * The text that is embedded for a pair, and its hash. The hash is the compare-and-set key of the
 * pipeline: a vector is written only while the row still waits for the text it was made from.
 */
final class EmbeddingText {

    static final String DEFAULT_TEMPLATE = "Question: {question}\nAnswer: {answer}";
    private static final String QUESTION = "{question}";
    private static final String ANSWER = "{answer}";

    private final String template;

    EmbeddingText(String template) {
        validateTemplate(template);
        this.template = template;
    }

    static void validateTemplate(String template) {
        if (template == null || !template.contains(QUESTION) || !template.contains(ANSWER)) {
            throw new IllegalArgumentException(
                    "embedding.text-template must contain {question} and {answer}, was " + template);
        }
    }

    /** One pass over the template, so that a question containing "{answer}" stays as typed. */
    String render(String question, String answer) {
        StringBuilder out = new StringBuilder(template.length() + question.length() + answer.length());
        int i = 0;
        while (i < template.length()) {
            if (template.startsWith(QUESTION, i)) {
                out.append(question);
                i += QUESTION.length();
            } else if (template.startsWith(ANSWER, i)) {
                out.append(answer);
                i += ANSWER.length();
            } else {
                out.append(template.charAt(i++));
            }
        }
        return out.toString();
    }

    static String hash(String text) {
        return Sha256.hex(text);
    }

    String hash(String question, String answer) {
        return hash(render(question, answer));
    }
}
