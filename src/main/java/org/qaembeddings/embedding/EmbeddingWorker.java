package org.qaembeddings.embedding;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.qaembeddings.provider.EmbeddingProvider;
import org.qaembeddings.provider.ProviderException;
import org.qaembeddings.provider.ProviderResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One poll of the pipeline: claim due rows, one provider call for all of them, write back the
 * vectors whose text is still current. Holds no state between polls, so several workers (threads
 * or nodes on one PostgreSQL) can run it side by side.
 */
@Component
public class EmbeddingWorker {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingWorker.class);
    private static final int MAX_ERROR_LENGTH = 1000;

    private final EmbeddingRepository repository;
    private final EmbeddingProvider provider;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final EmbeddingText text;
    private final int batchSize;
    private final Duration lease;

    EmbeddingWorker(EmbeddingRepository repository, EmbeddingProvider provider, TransactionTemplate transactions,
            Clock clock, EmbeddingProperties properties) {
        this.repository = repository;
        this.provider = provider;
        this.transactions = transactions;
        this.clock = clock;
        this.text = new EmbeddingText(properties.textTemplate());
        this.batchSize = properties.batchSize();
        this.lease = properties.lease();
    }

    /**
     * Processes at most one batch.
     *
     * @return how many rows were claimed; fewer than the batch size means there is no more due work
     */
    public int pollOnce() {
        Instant now = clock.instant();
        List<EmbeddingRepository.Claimed> claimed =
                transactions.execute(tx -> repository.claim(now, now.plus(lease), batchSize));
        if (claimed == null || claimed.isEmpty()) {
            return 0;
        }
        Map<UUID, String> hashes = new LinkedHashMap<>();
        List<String> texts = new ArrayList<>(claimed.size());
        for (EmbeddingRepository.Claimed row : claimed) {
            String rendered = text.render(row.question(), row.answer());
            texts.add(rendered);
            hashes.put(row.id(), EmbeddingText.hash(rendered));
        }
        ProviderResult result;
        try {
            result = provider.embed(texts);
            checkShape(result, texts.size());
        } catch (ProviderException e) {
            fail(hashes, e.getMessage());
            return claimed.size();
        } catch (RuntimeException e) {
            log.error("embedding provider failed unexpectedly", e);
            fail(hashes, "unexpected provider error: " + e.getClass().getSimpleName());
            return claimed.size();
        }
        List<EmbeddingRepository.Completion> completions = new ArrayList<>(claimed.size());
        int i = 0;
        for (Map.Entry<UUID, String> row : hashes.entrySet()) {
            completions.add(new EmbeddingRepository.Completion(row.getKey(), row.getValue(), result.vectors().get(i++)));
        }
        // The write time, not the claim time: the provider call may have taken seconds.
        int written = repository.complete(completions, result.model(), clock.instant());
        if (written < completions.size()) {
            log.debug("{} of {} vectors were stale (text changed during the call) and were dropped",
                    completions.size() - written, completions.size());
        }
        return claimed.size();
    }

    private void checkShape(ProviderResult result, int expected) {
        if (result.vectors().size() != expected) {
            throw new ProviderException(ProviderException.Kind.TRANSIENT,
                    "provider returned " + result.vectors().size() + " vectors for " + expected + " texts");
        }
        int dimensions = provider.dimensions();
        for (float[] vector : result.vectors()) {
            if (vector.length == 0 || (dimensions != 0 && vector.length != dimensions)) {
                throw new ProviderException(ProviderException.Kind.PERMANENT,
                        "provider returned a vector of " + vector.length + " dimensions, expected " + dimensions);
            }
        }
    }

    private void fail(Map<UUID, String> hashes, String error) {
        String message = error == null ? "provider failed" : error;
        if (message.length() > MAX_ERROR_LENGTH) {
            message = message.substring(0, MAX_ERROR_LENGTH);
        }
        int failed = repository.fail(hashes, message, clock.instant());
        log.warn("embedding of {} pairs failed: {}", failed, message);
    }
}
