package org.qaembeddings.qa;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.qaembeddings.embedding.EmbeddingService;
import org.qaembeddings.embedding.EmbeddingSummary;
import org.qaembeddings.system.NotFoundException;
import org.qaembeddings.system.Timestamps;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * QA pairs. A save commits the pair and its PENDING embedding row together and returns; the
 * provider is never called on this path, so it can neither slow down nor fail a save.
 */
@Service
class QaService {

    private final QaRepository repository;
    private final EmbeddingService embeddings;
    private final Clock clock;

    QaService(QaRepository repository, EmbeddingService embeddings, Clock clock) {
        this.repository = repository;
        this.embeddings = embeddings;
        this.clock = clock;
    }

    @Transactional
    QaPairView create(QaRequest request) {
        Instant now = Timestamps.micros(clock.instant());
        QaPair pair = new QaPair(UUID.randomUUID(), request.question(), request.answer(), now, now);
        repository.insert(pair);
        embeddings.requestForNewPair(pair.id(), pair.question(), pair.answer(), now);
        return view(pair);
    }

    @Transactional
    QaPairView update(UUID id, QaRequest request) {
        QaPair current = repository.findForUpdate(id).orElseThrow(() -> notFound(id));
        Instant now = Timestamps.micros(clock.instant());
        QaPair updated = new QaPair(id, request.question(), request.answer(), current.createdAt(), now);
        repository.update(updated);
        embeddings.requestIfTextChanged(id, updated.question(), updated.answer(), now);
        return view(updated);
    }

    @Transactional(readOnly = true)
    QaPairView get(UUID id) {
        return view(repository.find(id).orElseThrow(() -> notFound(id)));
    }

    @Transactional(readOnly = true)
    QaPage list(int page, int size) {
        List<QaPair> pairs = repository.page(page, size);
        Map<UUID, EmbeddingSummary> summaries =
                embeddings.summaries(pairs.stream().map(QaPair::id).toList());
        long total = repository.count();
        return new QaPage(
                pairs.stream().map(p -> QaPairView.of(p, summaries.get(p.id()))).toList(),
                page,
                size,
                total,
                (total + size - 1) / size);
    }

    @Transactional
    void delete(UUID id) {
        // the pair is locked before its embedding, in the same order as an update takes them
        repository.findForUpdate(id).orElseThrow(() -> notFound(id));
        embeddings.forget(id);
        repository.delete(id);
    }

    private QaPairView view(QaPair pair) {
        return QaPairView.of(pair, embeddings.summary(pair.id()).orElse(null));
    }

    private static NotFoundException notFound(UUID id) {
        return new NotFoundException("no QA pair with id " + id);
    }
}
