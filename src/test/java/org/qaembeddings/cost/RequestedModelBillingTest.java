package org.qaembeddings.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.FakeOpenAiServer.Reply;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A call is priced by the model asked for: OpenAI answers {@code text-embedding-ada-002-v2} to a
 * request for {@code text-embedding-ada-002}, and a rate looked up by the answer's name would bill
 * nothing and never trip a budget. The answer's name is kept beside the configured one.
 */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.openai.model=text-embedding-ada-002"})
class RequestedModelBillingTest extends DatabaseTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void ada002IsBilledAtItsRateWhenTheAnswerNamesAnotherModel() {
        OPENAI.behave(request -> withModel(OPENAI.vectors(request), "text-embedding-ada-002-v2"));
        String a = api.create("Which model answered?", "Its own version of the one asked for.");
        String b = api.create("Which rate applies?", "The one of the model asked for.");

        Api.Response batch = api.post("/api/embeddings/batch", "{\"qaPairIds\": [\"" + a + "\", \"" + b + "\"]}");

        assertThat(batch.json().path("successful").asInt()).isEqualTo(2);
        long tokens = OPENAI.allInputs().stream()
                .mapToLong(s -> Arrays.stream(s.split("\\s+")).count())
                .sum();
        BigDecimal expected = new BigDecimal("0.0001")
                .multiply(BigDecimal.valueOf(tokens))
                .divide(BigDecimal.valueOf(1000))
                .setScale(10);
        Map<String, Object> row = jdbc.sql("SELECT model, answered_model, tokens, cost_usd FROM embedding_cost")
                .query()
                .singleRow();
        assertThat(row.get("model")).isEqualTo("text-embedding-ada-002");
        assertThat(row.get("answered_model")).isEqualTo("text-embedding-ada-002-v2");
        assertThat(((Number) row.get("tokens")).longValue()).isEqualTo(tokens);
        assertThat((BigDecimal) row.get("cost_usd"))
                .isEqualByComparingTo(expected)
                .isPositive();

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Api.Response report = api.get("/api/embeddings/costs?from=" + today.minusDays(1) + "&to=" + today.plusDays(1));
        assertThat(report.json().path("days").get(0).path("model").asString()).isEqualTo("text-embedding-ada-002");
        assertThat(report.json().path("total").path("costUsd").decimalValue()).isEqualByComparingTo(expected);
        assertThat(api.get("/api/qa-pairs/" + a + "/embedding")
                        .json()
                        .path("model")
                        .asString())
                .isEqualTo("text-embedding-ada-002");
    }

    /** The stand-in's answer with another model name in it. */
    private static Reply withModel(Reply answer, String model) {
        ObjectNode body = (ObjectNode) JSON.readTree(answer.body());
        body.put("model", model);
        return Reply.json(200, JSON.writeValueAsString(body));
    }
}
