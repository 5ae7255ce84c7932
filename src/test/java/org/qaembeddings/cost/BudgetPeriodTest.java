package org.qaembeddings.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/** Budgets count the spend of their own day and month, in their own zone, and nothing before. */
@TestPropertySource(
        properties = {
            "embedding.worker-enabled=false",
            "embedding.cost.rates.fake-embedding=1",
            "embedding.cost.budget.daily-usd=0.5",
            "embedding.cost.budget.monthly-usd=1.0",
            "embedding.cost.budget.zone=America/New_York"
        })
class BudgetPeriodTest extends DatabaseTest {

    @Autowired
    CostService costs;

    @Test
    void dailyBudgetCountsTheDayInItsZone() {
        // 400 tokens at 1 USD per 1K: 0.40 USD at 23:00 New York time (EDT) on 10 March, 03:00 UTC on the 11th
        costs.record("fake-embedding", null, 400, 1, Instant.parse("2026-03-11T03:00:00Z"));
        assertThat(costs.budgetExhausted(Instant.parse("2026-03-11T03:30:00Z"))).isEmpty();

        costs.record("fake-embedding", null, 100, 1, Instant.parse("2026-03-11T03:40:00Z"));
        assertThat(costs.budgetExhausted(Instant.parse("2026-03-11T03:45:00Z")))
                .hasValueSatisfying(reason -> assertThat(reason)
                        .startsWith("daily budget of 0.5 USD reached")
                        .contains("2026-03-10 America/New_York"));

        // the next day in New York begins at 04:00 UTC: calls may go on
        assertThat(costs.budgetExhausted(Instant.parse("2026-03-11T04:00:00Z"))).isEmpty();
    }

    @Test
    void monthlyBudgetCountsTheMonthInItsZone() {
        costs.record("fake-embedding", null, 450, 1, Instant.parse("2026-03-05T12:00:00Z"));
        costs.record("fake-embedding", null, 450, 1, Instant.parse("2026-03-20T12:00:00Z"));
        assertThat(costs.budgetExhausted(Instant.parse("2026-03-25T12:00:00Z"))).isEmpty();

        costs.record("fake-embedding", null, 100, 1, Instant.parse("2026-03-31T12:00:00Z"));
        assertThat(costs.budgetExhausted(Instant.parse("2026-03-31T13:00:00Z")))
                .hasValueSatisfying(reason -> assertThat(reason)
                        .startsWith("monthly budget of 1.0 USD reached")
                        .contains("2026-03 America/New_York"));

        // April begins at 04:00 UTC in New York (daylight saving time)
        assertThat(costs.budgetExhausted(Instant.parse("2026-04-01T03:59:00Z"))).isPresent();
        assertThat(costs.budgetExhausted(Instant.parse("2026-04-01T04:00:00Z"))).isEmpty();
    }
}
