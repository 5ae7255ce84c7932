package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneId;

/**
 * The spend of the current day and month against the configured budgets.
 *
 * @param zone where the budget's days and months begin ({@code embedding.cost.budget.zone})
 * @param day today in that zone
 * @param dailyUsd the daily budget; null when none is set
 * @param monthlyUsd the monthly budget; null when none is set
 */
public record BudgetStatus(
        ZoneId zone,
        LocalDate day,
        BigDecimal dailyUsd,
        BigDecimal todayUsd,
        BigDecimal monthlyUsd,
        BigDecimal monthUsd) {

    /**
     * Today's share of the daily budget, or null when none is set; 0 for a budget of 0 not yet
     * touched, else 1 or more once reached.
     */
    public Double dailyShare() {
        return share(todayUsd, dailyUsd);
    }

    public Double monthlyShare() {
        return share(monthUsd, monthlyUsd);
    }

    private static Double share(BigDecimal spent, BigDecimal budget) {
        if (budget == null) {
            return null;
        }
        if (budget.signum() == 0) {
            return spent.signum() == 0 ? 0.0 : Double.POSITIVE_INFINITY;
        }
        return spent.doubleValue() / budget.doubleValue();
    }
}
