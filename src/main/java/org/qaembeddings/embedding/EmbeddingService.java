package org.qaembeddings.embedding;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * What the rest of the service asks of the embedding pipeline. Requests join the caller's
 * transaction: the PENDING row commits, or rolls back, with the pair, and the worker is woken only
 * after the commit.
 */
@Service
public class EmbeddingService {

    private final EmbeddingRepository repository;
    private final EmbeddingText text;
    private final ApplicationEventPublisher events;

    EmbeddingService(EmbeddingRepository repository, EmbeddingProperties properties, ApplicationEventPublisher events) {
        this.repository = repository;
        this.text = new EmbeddingText(properties.textTemplate());
        this.events = events;
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

    public Optional<EmbeddingSummary> summary(UUID id) {
        return Optional.ofNullable(repository.findSummaries(java.util.List.of(id)).get(id));
    }

    public Map<UUID, EmbeddingSummary> summaries(Collection<UUID> ids) {
        return repository.findSummaries(ids);
    }
}
