package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.time.LocalDate;

/** What one model cost on one day, for one purpose. */
public record DailyCost(
        LocalDate day, String model, CallPurpose purpose, long calls, long tokens, BigDecimal costUsd) {}
