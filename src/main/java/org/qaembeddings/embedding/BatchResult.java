package org.qaembeddings.embedding;

import java.util.List;

/**
 * What one batch achieved: pairs that now have a vector for their current text, pairs that do
 * not, and one message per failure, each naming its pair id.
 */
public record BatchResult(int successful, int failed, List<String> errors) {

    public BatchResult {
        errors = List.copyOf(errors);
    }
}
