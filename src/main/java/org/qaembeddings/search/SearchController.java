package org.qaembeddings.search;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.UUID;
import org.qaembeddings.system.BadRequestException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class SearchController {

    static final int MAX_QUERY_LENGTH = 2_000;
    static final int MAX_K = 100;

    private final SearchService service;

    SearchController(SearchService service) {
        this.service = service;
    }

    @GetMapping("/api/search")
    SearchResponse search(
            @RequestParam @NotBlank @Size(max = MAX_QUERY_LENGTH) String q,
            @RequestParam(defaultValue = "10") @Min(1) @Max(MAX_K) int k,
            @RequestParam(defaultValue = "hybrid") String mode,
            @RequestParam(required = false) Double minScore,
            @RequestParam(defaultValue = "false") boolean freshOnly) {
        if (minScore != null && !Double.isFinite(minScore)) {
            throw new BadRequestException("minScore must be a finite number");
        }
        return service.search(q, k, SearchMode.parse(mode), minScore, freshOnly);
    }

    @GetMapping("/api/qa-pairs/{id}/similar")
    SearchResponse similar(@PathVariable UUID id, @RequestParam(defaultValue = "5") @Min(1) @Max(MAX_K) int k) {
        return service.similar(id, k);
    }
}
