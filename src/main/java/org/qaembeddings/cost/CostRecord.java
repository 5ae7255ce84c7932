package org.qaembeddings.cost;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One provider call that consumed tokens.
 *
 * @param model the model asked for, by which the call is priced and reported
 * @param answeredModel the model the answer named, when that was another name; else null
 * @param purpose what the call was for
 */
public record CostRecord(
        Instant timestamp,
        String model,
        String answeredModel,
        CallPurpose purpose,
        int tokens,
        int items,
        BigDecimal costUsd) {}
