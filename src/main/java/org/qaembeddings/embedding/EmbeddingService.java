package org.qaembeddings.embedding;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.qaembeddings.system.BadRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * What the rest of the service asks of the embedding pipeline. Requests for new or changed pairs
 * join the caller's transaction: the PENDING row commits, or rolls back, with the pair, and the
 * worker is woken only after the commit.
 */
@Service
public class EmbeddingService {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingService.class);

    private final EmbeddingRepository repository;
    private final EmbeddingCounts counts;
    private final EmbeddingReads reads;
    private final EmbeddingWorker worker;
    private final EmbeddingProperties properties;
    private final EmbeddingText text;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    EmbeddingService(
            EmbeddingRepository repository,
            EmbeddingCounts counts,
            EmbeddingReads reads,
            EmbeddingWorker worker,
            EmbeddingProperties properties,
            ApplicationEventPublisher events,
            Clock clock) {
        this.repository = repository;
        this.counts = counts;
        this.reads = reads;
        this.worker = worker;
        this.properties = properties;
        this.text = new EmbeddingText(properties.textTemplate());
        this.events = events;
        this.clock = clock;
    }

    /** The setting this node's vectors are made with; vectors of another are never compared with them. */
    public EmbeddingSetting setting() {
        return worker.setting();
    }

    /** A new pair: its embedding starts PENDING. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void requestForNewPair(UUID id, String question, String answer, Instant now) {
        repository.insertPending(id, text.hash(question, answer), now);
        events.publishEvent(new EmbeddingRequested());
    }

    /**
     * A changed pair: PENDING again when the embedded text changed, untouched (no provider call, no
     * cost) when it did not.
     *
     * @return whether a new embedding was requested
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean requestIfTextChanged(UUID id, String question, String answer, Instant now) {
        boolean changed = repository.markPendingIfChanged(id, text.hash(question, answer), now);
        if (changed) {
            events.publishEvent(new EmbeddingRequested());
        }
        return changed;
    }

    /** A pair is being deleted: its embedding goes first, so that the figures lose it too. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void forget(UUID id) {
        repository.delete(id, clock.instant());
    }

    /**
     * Checks the per-status counts against the rows (after each start-up, see {@link StartupRecount}).
     * They can only drift if rows were changed behind the service's back (by hand, by a restore);
     * the log says so when they did.
     */
    @Transactional
    public void reconcileCounts() {
        Map<EmbeddingStatus, Long> drift = counts.recount();
        if (!drift.isEmpty()) {
            log.warn("embedding status counts were off by {} (counted minus actual); corrected", drift);
        }
    }

    public Optional<EmbeddingSummary> summary(UUID id) {
        return Optional.ofNullable(reads.findSummaries(List.of(id)).get(id));
    }

    public Map<UUID, EmbeddingSummary> summaries(Collection<UUID> ids) {
        return reads.findSummaries(ids);
    }

    /**
     * Embeds the given pairs now, in as few provider calls as their tokens allow (one for up to
     * {@code embedding.batch-size} short texts). Duplicates count once.
     *
     * @throws BadRequestException for more than {@code embedding.batch-size} ids; nothing is processed then
     */
    public BatchResult batchGenerate(List<UUID> qaPairIds) {
        if (qaPairIds.size() > properties.batchSize()) {
            throw new BadRequestException("at most " + properties.batchSize()
                    + " qaPairIds per batch (embedding.batch-size), got " + qaPairIds.size());
        }
        return worker.generate(qaPairIds);
    }

    /**
     * Retries up to one batch of failed embeddings whose attempts are fewer than {@code maxRetries}
     * and whose backoff has passed, permanent failures included (an operator may have fixed their
     * cause). Rows at {@code maxRetries} attempts are left alone: they are the dead letters.
     */
    public BatchResult retryFailedEmbeddings(int maxRetries) {
        if (maxRetries < 1 || maxRetries > EmbeddingProperties.MAX_RETRIES_LIMIT) {
            throw new BadRequestException(
                    "maxRetries must be 1.." + EmbeddingProperties.MAX_RETRIES_LIMIT + ", was " + maxRetries);
        }
        return worker.retryFailed(maxRetries);
    }

    public BatchResult retryFailedEmbeddings() {
        return retryFailedEmbeddings(properties.maxRetries());
    }

    /** Why this node's worker cannot embed right now (its polls fail), if it cannot. */
    public Optional<String> workerFailure() {
        return worker.failure();
    }

    public EmbeddingHealthStats getHealthStats() {
        Instant now = clock.instant();
        EmbeddingCounts.Stats s = counts.stats(properties.maxRetries());
        long finished = s.completed() + s.failed();
        Double successRate = finished == 0 ? null : (double) s.completed() / finished;
        Long age = s.oldestPending() == null
                ? null
                : Math.max(0, Duration.between(s.oldestPending(), now).toSeconds());
        return new EmbeddingHealthStats(
                s.pending() + s.processing(),
                s.processing(),
                s.failed(),
                s.deadLetters(),
                s.completed(),
                successRate,
                s.oldestPending(),
                age,
                worker.pausedReason(now).or(worker::failure).orElse(null),
                worker.circuitState());
    }

    List<EmbeddingReads.FailedRow> failed(int page, int size, boolean deadLettersOnly, boolean newestFirst) {
        return reads.failed(page, size, deadLettersOnly, newestFirst, properties.maxRetries());
    }

    int maxRetries() {
        return properties.maxRetries();
    }
}
