package org.qaembeddings.qa;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of POST and PUT. Any other field (id, status, vector...) is rejected rather than ignored,
 * so that a client never believes it set a value the server owns.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
record QaRequest(
        @Visible @Size(max = QaRequest.MAX_QUESTION) @Pattern(regexp = NO_CONTROL, message = CONTROL_MESSAGE)
        String question,

        @Visible @Size(max = QaRequest.MAX_ANSWER) @Pattern(regexp = NO_CONTROL, message = CONTROL_MESSAGE)
        String answer) {

    static final int MAX_QUESTION = 2_000;
    static final int MAX_ANSWER = 20_000;
    /**
     * Tab, line feed and carriage return are text; other control characters, C0, DEL and C1 (whose
     * U+009B is the terminal's CSI), are not (PostgreSQL rejects NUL). Nor is half a surrogate pair,
     * which no UTF-8 database can store as sent.
     */
    static final String NO_CONTROL = "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x{9F}\\x{D800}-\\x{DFFF}]*";

    static final String CONTROL_MESSAGE =
            "must not contain control characters other than tab and line breaks, nor unpaired surrogates";
}
