package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code embedding.cost.*}: USD per 1,000 tokens per model, and an optional budget.
 *
 * @param rates {@code embedding.cost.rates.<model>=<usd per 1K tokens>}; added to the defaults
 * @param budget when set, the worker stops calling the provider once the spend reaches it
 */
@ConfigurationProperties("embedding.cost")
public record CostProperties(
        Map<String, BigDecimal> rates, @DefaultValue Budget budget) {

    /** OpenAI's list prices; the in-process model costs nothing. */
    static final Map<String, BigDecimal> DEFAULT_RATES = Map.of(
            "text-embedding-3-small", new BigDecimal("0.00002"),
            "text-embedding-3-large", new BigDecimal("0.00013"),
            "text-embedding-ada-002", new BigDecimal("0.0001"),
            "all-minilm-l6-v2-q", BigDecimal.ZERO);

    /**
     * @param dailyUsd most to spend per calendar day in {@code zone}; none when unset
     * @param monthlyUsd most to spend per calendar month in {@code zone}; none when unset
     * @param zone where days and months begin
     */
    public record Budget(
            BigDecimal dailyUsd,
            BigDecimal monthlyUsd,
            @DefaultValue("UTC") ZoneId zone) {
        public Budget {
            requireNonNegative("embedding.cost.budget.daily-usd", dailyUsd);
            requireNonNegative("embedding.cost.budget.monthly-usd", monthlyUsd);
        }
    }

    public CostProperties {
        Map<String, BigDecimal> merged = new HashMap<>(DEFAULT_RATES);
        if (rates != null) {
            rates.forEach((model, rate) -> {
                requireNonNegative("embedding.cost.rates." + model, rate);
                merged.put(model, rate);
            });
        }
        rates = Map.copyOf(merged);
    }

    private static void requireNonNegative(String name, BigDecimal value) {
        if (value != null && value.signum() < 0) {
            throw new IllegalArgumentException(name + " must be 0 or more, was " + value);
        }
    }

    /** USD per 1,000 tokens, or null when no rate is known for the model. */
    public BigDecimal rateFor(String model) {
        return rates.get(model);
    }

    /**
     * USD for {@code tokens} of {@code model}: tokens / 1000 × the model's rate, rounded half up to
     * {@code scale} decimals; null when no rate is known for the model.
     */
    BigDecimal usdFor(String model, long tokens, int scale) {
        BigDecimal rate = rateFor(model);
        return rate == null
                ? null
                : rate.multiply(BigDecimal.valueOf(tokens))
                        .divide(BigDecimal.valueOf(1000), scale, RoundingMode.HALF_UP);
    }
}
