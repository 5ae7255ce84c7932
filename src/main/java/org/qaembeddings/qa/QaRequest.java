package org.qaembeddings.qa;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of POST and PUT. Any other field (id, status, vector...) is rejected rather than ignored,
 * so that a client never believes it set a value the server owns.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
record QaRequest(
        @NotBlank @Size(max = QaRequest.MAX_QUESTION) @Pattern(regexp = NO_CONTROL, message = CONTROL_MESSAGE)
        String question,
        @NotBlank @Size(max = QaRequest.MAX_ANSWER) @Pattern(regexp = NO_CONTROL, message = CONTROL_MESSAGE)
        String answer) {

    static final int MAX_QUESTION = 2_000;
    static final int MAX_ANSWER = 20_000;
    /**
     * Tab, line feed and carriage return are text; other control characters are not (PostgreSQL
     * rejects NUL). Nor is half a surrogate pair, which no UTF-8 database can store as sent.
     */
    static final String NO_CONTROL = "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\x{D800}-\\x{DFFF}]*";
    static final String CONTROL_MESSAGE = "must not contain control characters other than tab and line breaks, nor unpaired surrogates";
}
