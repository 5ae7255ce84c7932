package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;

/** Daily totals per model over {@code from..to} (both included), days in {@code zone}, and their sum. */
public record CostReport(LocalDate from, LocalDate to, ZoneId zone, List<DailyCost> days, Total total) {

    /** The sum of all days. */
    public record Total(long calls, long tokens, BigDecimal costUsd) {}
}
