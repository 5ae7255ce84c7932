package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.time.LocalDate;

/** What one model cost on one day. */
public record DailyCost(LocalDate day, String model, long calls, long tokens, BigDecimal costUsd) {
}
