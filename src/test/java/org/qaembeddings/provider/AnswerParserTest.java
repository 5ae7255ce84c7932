package org.qaembeddings.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

/** The streaming reader of an embeddings answer: every field in any order, nothing else trusted. */
class AnswerParserTest {

    private final AnswerParser parser = new AnswerParser(JsonMapper.builder().build());

    private AnswerParser.Parsed parse(String body, int expected) {
        return parser.parse(body.getBytes(StandardCharsets.UTF_8), expected);
    }

    private String failure(String body, int expected) {
        ProviderException e = catchThrowableOfType(ProviderException.class, () -> parse(body, expected));
        assertThat(e.reason()).isEqualTo(ProviderException.Reason.BAD_ANSWER);
        return e.getMessage();
    }

    @Test
    void readsFieldsInAnyOrderAndSkipsWhatItDoesNotKnow() {
        AnswerParser.Parsed parsed = parse("""
                {"usage": {"total_tokens": 9, "prompt_tokens": 7, "extra": [1, {"a": [2]}]},
                 "object": "list", "meta": {"deep": [[[{"x": 1}]]]},
                 "data": [{"embedding": [0.5, -1, 2e-3], "object": "embedding", "index": 1},
                          {"index": 0, "extra": {"y": [1, 2]}, "embedding": "AACAPwAAAEAAAEBA"}],
                 "model": "text-embedding-3-small"}""", 2);
        assertThat(parsed.vectors()[0]).containsExactly(1.0f, 2.0f, 3.0f);
        assertThat(parsed.vectors()[1]).containsExactly(0.5f, -1f, 0.002f);
        assertThat(parsed.promptTokens()).isEqualTo(7);
        assertThat(parsed.model()).isEqualTo("text-embedding-3-small");
    }

    @Test
    void absentOrInsaneFieldsBesideTheVectorsAreNull() {
        AnswerParser.Parsed parsed = parse(
                "{\"model\": 3, \"usage\": {\"prompt_tokens\": 2147483648},"
                        + " \"data\": [{\"index\": 0, \"embedding\": [1]}]}",
                1);
        assertThat(parsed.promptTokens()).isNull();
        assertThat(parsed.model()).isNull();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[]|1|not a JSON object",
                "{\"data\": [{\"index\": 0, \"embedding\": [1]}]} {}|1|content after its end",
                "{\"usage\": {}}|1|no data array",
                "{\"data\": {}}|1|no data array",
                "{\"data\": [{\"index\": 0, \"embedding\": [1]}, "
                        + "{\"index\": 1, \"embedding\": [1]}]}|1|more than 1 embeddings",
                "{\"data\": []}|1|0 embeddings for 1 inputs",
                "{\"data\": [1]}|1|not an embedding object",
                "{\"data\": [{\"embedding\": [1]}]}|1|without an integer index",
                "{\"data\": [{\"index\": 0.0, \"embedding\": [1]}]}|1|without an integer index",
                "{\"data\": [{\"index\": 5, \"embedding\": [1]}]}|1|out of range",
                "{\"data\": [{\"index\": 0}]}|1|not a non-empty array",
                "{\"data\": [{\"index\": 0, \"embedding\": []}]}|1|not a non-empty array",
                "{\"data\": [{\"index\": 0, \"embedding\": [true]}]}|1|not a number",
                "{\"data\": [{\"index\": 0, \"embedding\": [1e39]}]}|1|not finite",
                "{\"data\": [{\"index\": 0, \"embedding\": \"AACAfw==\"}]}|1|not finite",
                "{\"data\": [{\"index\": 0, \"embedding\": \"AAA=\"}]}|1|not of float32 values",
                "{\"data\": [{\"index\": 0, \"embedding\": \"!!\"}]}|1|neither numbers nor base64",
                "{\"data\": [{\"index\": 0, \"embedding\": [1]}, "
                        + "{\"index\": 1, \"embedding\": [1, 2]}]}|2|different lengths",
                "{\"data\": [{\"index\": 0, \"embedding\": [1]}, "
                        + "{\"index\": 0, \"embedding\": [1]}]}|2|out of range or repeated",
                "{\"data\": [{\"index\": 0, \"embedding\": [1, 2|1|not JSON"
            })
    void everyDeviationIsAnUnusableAnswer(String body, int inputs, String expected) {
        assertThat(failure(body, inputs))
                .startsWith("invalid provider response: ")
                .contains(expected);
    }
}
