package org.qaembeddings.search;

import java.util.Locale;
import org.qaembeddings.system.BadRequestException;

/** Which side ranks: words (BM25), meaning (vectors), or both fused. */
enum SearchMode {
    HYBRID,
    SEMANTIC,
    KEYWORD;

    static SearchMode parse(String text) {
        for (SearchMode mode : values()) {
            if (mode.name().equalsIgnoreCase(text)) {
                return mode;
            }
        }
        throw new BadRequestException("mode must be hybrid, semantic or keyword");
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
