package org.qaembeddings.health;

import org.qaembeddings.embedding.EmbeddingHealthStats;
import org.qaembeddings.embedding.EmbeddingService;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
class HealthController {

    private final EmbeddingService embeddings;

    HealthController(EmbeddingService embeddings) {
        this.embeddings = embeddings;
    }

    /** Always a fresh reading (the gauges may lag by embedding.health.stats-cache-ttl). */
    @GetMapping("/api/embeddings/health")
    EmbeddingHealthStats health() {
        return embeddings.getHealthStats();
    }
}
