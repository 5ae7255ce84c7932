package org.qaembeddings.embedding;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.qaembeddings.system.BadRequestException;
import org.qaembeddings.system.ConflictException;
import org.qaembeddings.system.Paging;
import org.qaembeddings.system.WorkBeganException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Operations on the pipeline: embed named pairs now, retry failures now, list failures, follow a re-embed. */
@RestController
class EmbeddingAdminController {

    @JsonIgnoreProperties(ignoreUnknown = false)
    record BatchRequest(@NotNull List<@NotNull UUID> qaPairIds) {}

    @JsonIgnoreProperties(ignoreUnknown = false)
    record RetryRequest(Integer maxRetries) {}

    /** One page of failed rows. */
    record FailedPage(List<FailedEmbedding> items, int page, int size, int maxRetries) {}

    /**
     * A failed row as the API shows it.
     *
     * @param errorKind TRANSIENT (retried with backoff until the attempts run out) or PERMANENT
     * @param nextAttemptAt when it is retried by itself; null for a dead letter
     */
    record FailedEmbedding(
            UUID qaPairId,
            String question,
            int attempts,
            String lastError,
            String errorKind,
            Instant nextAttemptAt,
            Instant updatedAt) {

        static FailedEmbedding of(EmbeddingReads.FailedRow row) {
            return new FailedEmbedding(
                    row.qaPairId(),
                    row.question(),
                    row.attempts(),
                    row.lastError(),
                    row.errorKind(),
                    row.nextAttemptAt(),
                    row.updatedAt());
        }
    }

    private final EmbeddingService embeddings;
    private final Reembedding reembedding;

    EmbeddingAdminController(EmbeddingService embeddings, Reembedding reembedding) {
        this.embeddings = embeddings;
        this.reembedding = reembedding;
    }

    @PostMapping("/api/embeddings/batch")
    BatchResult batch(@Valid @RequestBody BatchRequest request) {
        try {
            return embeddings.batchGenerate(request.qaPairIds());
        } catch (BadRequestException refusedBeforeAnyWork) {
            throw refusedBeforeAnyWork;
        } catch (RuntimeException e) {
            throw new WorkBeganException(e);
        }
    }

    @PostMapping("/api/embeddings/retry")
    BatchResult retry(@RequestBody(required = false) RetryRequest request) {
        try {
            return request == null || request.maxRetries() == null
                    ? embeddings.retryFailedEmbeddings()
                    : embeddings.retryFailedEmbeddings(request.maxRetries());
        } catch (BadRequestException refusedBeforeAnyWork) {
            throw refusedBeforeAnyWork;
        } catch (RuntimeException e) {
            throw new WorkBeganException(e);
        }
    }

    /**
     * Failed rows, oldest failure first ({@code newestFirst} turns it round); {@code deadLettersOnly}
     * keeps those that will not be retried automatically.
     */
    @GetMapping("/api/embeddings/failed")
    FailedPage failed(
            @RequestParam(defaultValue = "0") @Min(0) @Max(Paging.MAX_PAGE) int page,
            @RequestParam(defaultValue = Paging.DEFAULT_SIZE) @Min(1) @Max(Paging.MAX_SIZE) int size,
            @RequestParam(defaultValue = "false") boolean deadLettersOnly,
            @RequestParam(defaultValue = "false") boolean newestFirst) {
        List<FailedEmbedding> items = embeddings.failed(page, size, deadLettersOnly, newestFirst).stream()
                .map(FailedEmbedding::of)
                .toList();
        return new FailedPage(items, page, size, embeddings.maxRetries());
    }

    /** The latest switch of embedding setting: from which to which, how far. */
    @GetMapping("/api/embeddings/reembed")
    ReembedProgress reembed() {
        return reembedding.progress();
    }

    /** Starts a re-embed that waits for approval (its estimate is above {@code embedding.reembed.auto-approve-usd}). */
    @PostMapping("/api/embeddings/reembed")
    ReembedProgress approveReembed() {
        if (!reembedding.approve()) {
            throw new ConflictException("no re-embed waits for approval (state "
                    + reembedding.progress().state() + ")");
        }
        return reembedding.progress();
    }
}
