package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.time.Instant;

/** One provider call that consumed tokens. */
public record CostRecord(Instant timestamp, String model, int tokens, int items, BigDecimal costUsd) {
}
