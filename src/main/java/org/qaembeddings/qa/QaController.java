package org.qaembeddings.qa;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.net.URI;
import java.util.UUID;
import org.qaembeddings.system.Paging;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/qa-pairs")
class QaController {

    private final QaService service;

    QaController(QaService service) {
        this.service = service;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED) // what the entity answers; said here for the OpenAPI document
    ResponseEntity<QaPairView> create(@Valid @RequestBody QaRequest request) {
        QaPairView created = service.create(request);
        return ResponseEntity.created(URI.create("/api/qa-pairs/" + created.id()))
                .body(created);
    }

    @GetMapping("/{id}")
    QaPairView get(@PathVariable UUID id) {
        return service.get(id);
    }

    @GetMapping
    QaPage list(
            @RequestParam(defaultValue = "0") @Min(0) @Max(Paging.MAX_PAGE) int page,
            @RequestParam(defaultValue = Paging.DEFAULT_SIZE) @Min(1) @Max(Paging.MAX_SIZE) int size) {
        return service.list(page, size);
    }

    @PutMapping("/{id}")
    QaPairView update(@PathVariable UUID id, @Valid @RequestBody QaRequest request) {
        return service.update(id, request);
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    ResponseEntity<Void> delete(@PathVariable UUID id) {
        service.delete(id);
        return ResponseEntity.noContent().build();
    }
}
