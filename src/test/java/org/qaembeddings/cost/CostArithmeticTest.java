package org.qaembeddings.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Prices per 1,000 tokens, in exact decimals: no context, no database. */
class CostArithmeticTest {

    private static final int SCALE = 10;
    private static final CostProperties.Budget NO_BUDGET = new CostProperties.Budget(null, null, null);
    private final CostProperties properties =
            new CostProperties(Map.of("fake-embedding", new BigDecimal("0.5")), NO_BUDGET);

    @Test
    void calculatesCost() {
        assertThat(properties.usdFor("text-embedding-3-small", 1_000, SCALE)).isEqualByComparingTo("0.00002");
        assertThat(properties.usdFor("text-embedding-3-small", 1, SCALE)).isEqualByComparingTo("0.00000002");
        assertThat(properties.usdFor("text-embedding-3-large", 1_000_000, SCALE))
                .isEqualByComparingTo("0.13");
        assertThat(properties.usdFor("text-embedding-ada-002", 1_234, SCALE)).isEqualByComparingTo("0.0001234");
        assertThat(properties.usdFor("all-minilm-l6-v2-q", 1_000_000, SCALE)).isEqualByComparingTo("0");
        assertThat(properties.usdFor("fake-embedding", 3, SCALE))
                .as("configured rate")
                .isEqualByComparingTo("0.0015");
        assertThat(properties.usdFor("a-model-nobody-priced", 5_000, SCALE)).isNull();
    }

    @Test
    void aMillionOneTokenCallsCostExactlyWhatOneMillionTokenCallCosts() {
        BigDecimal sum = BigDecimal.ZERO;
        for (int i = 0; i < 1_000_000; i++) {
            sum = sum.add(properties.usdFor("text-embedding-3-small", 1, SCALE));
        }
        assertThat(sum).isEqualByComparingTo(properties.usdFor("text-embedding-3-small", 1_000_000, SCALE));
    }

    @Test
    void fractionsOfTheLastDecimalRoundHalfUp() {
        CostProperties tiny = new CostProperties(Map.of("tiny", new BigDecimal("0.00000001")), NO_BUDGET);

        assertThat(tiny.usdFor("tiny", 5, SCALE)).isEqualByComparingTo("0.0000000001");
        assertThat(tiny.usdFor("tiny", 4, SCALE)).isEqualByComparingTo("0");
        assertThat(tiny.usdFor("tiny", 15, SCALE)).isEqualByComparingTo("0.0000000002");
    }

    @Test
    void ratesAddToTheListPricesAndNegativeRatesAreRefusedByName() {
        assertThat(properties.rateFor("text-embedding-3-small")).isEqualByComparingTo("0.00002");
        assertThat(properties.rateFor("fake-embedding")).isEqualByComparingTo("0.5");
        assertThatThrownBy(() -> new CostProperties(Map.of("m", new BigDecimal("-1")), NO_BUDGET))
                .hasMessage("embedding.cost.rates.m must be 0 or more, was -1");
    }
}
