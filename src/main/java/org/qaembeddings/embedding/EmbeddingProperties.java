package org.qaembeddings.embedding;

import java.math.BigDecimal;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code embedding.*}: how texts are built and how the background worker runs.
 *
 * @param batchSize most pairs sent to the provider in one call (1..100)
 * @param textTemplate the text embedded for a pair; {question} and {answer} are replaced
 * @param pollInterval how often the worker looks for work when nobody woke it
 * @param lease how long a claimed row belongs to its worker; after that another may take it
 * @param workerEnabled false leaves rows PENDING for another node (or a test) to process
 * @param maxRetries attempts per text; a failed row with this many is a dead letter (1..100)
 * @param retry the backoff between attempts
 * @param workerThreads batches in flight at once on this node (1..32): while one waits for the
 *     provider, another writes its vectors; remote providers answer faster in parallel too
 * @param circuit when this node stops calling a provider that seems down
 * @param reembed how a change of embedding setting is re-embedded
 * @param recountDelay how long after start-up the per-status counts are checked against the rows,
 *     in the background (a read of every row)
 */
@ConfigurationProperties("embedding")
public record EmbeddingProperties(
        @DefaultValue("100") int batchSize,
        @DefaultValue(EmbeddingText.DEFAULT_TEMPLATE) String textTemplate,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("5m") Duration lease,
        @DefaultValue("true") boolean workerEnabled,
        @DefaultValue("3") int maxRetries,
        @DefaultValue Retry retry,
        @DefaultValue("2") int workerThreads,
        @DefaultValue Circuit circuit,
        @DefaultValue Reembed reembed,
        @DefaultValue("1m") Duration recountDelay) {

    /** One provider call never carries more than this many pairs. */
    public static final int MAX_BATCH_SIZE = 100;

    static final int MAX_RETRIES_LIMIT = 100;

    /**
     * @param baseDelay the shortest wait before a retry, and the first step of the exponential
     * @param maxDelay the longest wait before a retry
     */
    public record Retry(
            @DefaultValue("2s") Duration baseDelay,
            @DefaultValue("5m") Duration maxDelay) {
        public Retry {
            if (baseDelay.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("embedding.retry.base-delay must be at least 1ms, was " + baseDelay);
            }
            if (maxDelay.compareTo(baseDelay) < 0) {
                throw new IllegalArgumentException(
                        "embedding.retry.max-delay must be at least embedding.retry.base-delay (" + baseDelay
                                + "), was " + maxDelay);
            }
        }
    }

    /**
     * @param failureRate percent of failed calls, among the last {@code window}, that opens the circuit (1..100)
     * @param window how many recent calls the failure rate is taken over (1..1000)
     * @param minimumCalls calls needed in the window before the rate counts (1..window)
     * @param openFor the wait before the first probe call once open; each failed probe doubles it
     * @param maxOpenFor the longest wait between probes
     */
    public record Circuit(
            @DefaultValue("50") int failureRate,
            @DefaultValue("10") int window,
            @DefaultValue("5") int minimumCalls,
            @DefaultValue("5s") Duration openFor,
            @DefaultValue("5m") Duration maxOpenFor) {
        public Circuit {
            if (failureRate < 1 || failureRate > 100) {
                throw new IllegalArgumentException("embedding.circuit.failure-rate must be 1..100, was " + failureRate);
            }
            if (window < 1 || window > 1000) {
                throw new IllegalArgumentException("embedding.circuit.window must be 1..1000, was " + window);
            }
            if (minimumCalls < 1 || minimumCalls > window) {
                throw new IllegalArgumentException(
                        "embedding.circuit.minimum-calls must be 1..embedding.circuit.window (" + window + "), was "
                                + minimumCalls);
            }
            if (openFor.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("embedding.circuit.open-for must be at least 1ms, was " + openFor);
            }
            if (maxOpenFor.compareTo(openFor) < 0) {
                throw new IllegalArgumentException(
                        "embedding.circuit.max-open-for must be at least embedding.circuit.open-for (" + openFor
                                + "), was " + maxOpenFor);
            }
        }
    }

    /**
     * @param autoApproveUsd a re-embed whose estimated cost is at most this starts by itself; a
     *     dearer one waits for {@code POST /api/embeddings/reembed}
     * @param keepPrevious how long the vectors of the setting before are kept once a switch is done,
     *     so that a switch back costs nothing
     */
    public record Reembed(
            @DefaultValue("1.00") BigDecimal autoApproveUsd,
            @DefaultValue("7d") Duration keepPrevious) {
        public Reembed {
            if (autoApproveUsd.signum() < 0) {
                throw new IllegalArgumentException(
                        "embedding.reembed.auto-approve-usd must be at least 0, was " + autoApproveUsd);
            }
            if (keepPrevious.isNegative()) {
                throw new IllegalArgumentException(
                        "embedding.reembed.keep-previous must not be negative, was " + keepPrevious);
            }
        }
    }

    public EmbeddingProperties {
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException(
                    "embedding.batch-size must be 1.." + MAX_BATCH_SIZE + ", was " + batchSize);
        }
        EmbeddingText.validateTemplate(textTemplate);
        if (pollInterval.compareTo(Duration.ofMillis(10)) < 0) {
            throw new IllegalArgumentException("embedding.poll-interval must be at least 10ms, was " + pollInterval);
        }
        if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("embedding.lease must be at least 1s, was " + lease);
        }
        if (workerThreads < 1 || workerThreads > 32) {
            throw new IllegalArgumentException("embedding.worker-threads must be 1..32, was " + workerThreads);
        }
        if (recountDelay.isNegative()) {
            throw new IllegalArgumentException("embedding.recount-delay must not be negative, was " + recountDelay);
        }
        if (maxRetries < 1 || maxRetries > MAX_RETRIES_LIMIT) {
            throw new IllegalArgumentException(
                    "embedding.max-retries must be 1.." + MAX_RETRIES_LIMIT + ", was " + maxRetries);
        }
    }

    Backoff backoff() {
        return new Backoff(retry.baseDelay(), retry.maxDelay());
    }
}
