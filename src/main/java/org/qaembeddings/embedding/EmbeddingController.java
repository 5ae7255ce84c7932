package org.qaembeddings.embedding;

import java.util.UUID;
import org.qaembeddings.system.NotFoundException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@RestController
class EmbeddingController {

    private final EmbeddingReads reads;
    private final EmbeddingService embeddings;

    EmbeddingController(EmbeddingReads reads, EmbeddingService embeddings) {
        this.reads = reads;
        this.embeddings = embeddings;
    }

    @GetMapping("/api/qa-pairs/{id}/embedding")
    EmbeddingDetail embedding(@PathVariable UUID id) {
        return reads.findDetail(id)
                .map(d -> d.forSetting(embeddings.setting()))
                .orElseThrow(() -> new NotFoundException("no QA pair with id " + id));
    }
}
