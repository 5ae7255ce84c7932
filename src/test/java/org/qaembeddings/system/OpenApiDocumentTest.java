package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAPI document against the controllers that really answer, and against its committed copy
 * {@code docs/openapi.json}. After a change to the API, write the copy again with
 * {@code ./mvnw -B test -Dtest=OpenApiDocumentTest -Dopenapi.write=true}, and read the diff.
 */
@Tag("single-database")
class OpenApiDocumentTest extends DatabaseTest {

    private static final Path COMMITTED = Path.of("docs", "openapi.json");
    private static final JsonMapper JSON =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    private JsonNode document() {
        Api.Response response = api.get("/v3/api-docs");
        assertThat(response.status()).isEqualTo(200);
        return response.json();
    }

    @Test
    void documentDescribesEveryEndpointAndNoOther() {
        Set<String> served = new TreeSet<>();
        for (RequestMappingInfo info : mappings.getHandlerMethods().keySet()) {
            for (String path : info.getPathPatternsCondition().getPatternValues()) {
                if (path.startsWith("/api/")) {
                    info.getMethodsCondition().getMethods().forEach(m -> served.add(m.name() + " " + path));
                }
            }
        }
        Set<String> described = new TreeSet<>();
        document()
                .path("paths")
                .properties()
                .forEach(path -> path.getValue()
                        .properties()
                        .forEach(op -> described.add(op.getKey().toUpperCase() + " " + path.getKey())));
        assertThat(served).hasSizeGreaterThan(10);
        assertThat(described).isEqualTo(served);
    }

    @Test
    void documentNamesTheKeysAndTheProblemsOfEveryOperation() {
        JsonNode doc = document();
        assertThat(doc.path("openapi").asString()).startsWith("3.1");
        assertThat(doc.path("components")
                        .path("securitySchemes")
                        .path("clientKey")
                        .path("scheme")
                        .asString())
                .isEqualTo("bearer");
        assertThat(doc.path("components")
                        .path("securitySchemes")
                        .path("adminKey")
                        .path("scheme")
                        .asString())
                .isEqualTo("bearer");
        assertThat(doc.path("components")
                        .path("schemas")
                        .path("QaRequest")
                        .path("example")
                        .path("question")
                        .asString())
                .isNotBlank();
        JsonNode problem = doc.path("components").path("schemas").path("Problem");
        assertThat(problem.path("properties").path("detail").isObject()).isTrue();
        assertThat(problem.path("type").asString()).isEqualTo("object");
        assertThat(problem.path("example").path("status").asInt())
                .as("the example is JSON, not a string")
                .isEqualTo(400);
        doc.path("paths")
                .properties()
                .forEach(path -> path.getValue().properties().forEach(op -> {
                    String name = op.getKey() + " " + path.getKey();
                    JsonNode operation = op.getValue();
                    boolean admin = path.getKey().startsWith("/api/embeddings/")
                            && !path.getKey().equals("/api/embeddings/health");
                    assertThat(operation.path("security").toString())
                            .as(name)
                            .isEqualTo(admin ? "[{\"adminKey\":[]}]" : "[{\"clientKey\":[]},{\"adminKey\":[]}]");
                    for (String status : admin ? new String[] {"400", "401", "403"} : new String[] {"400", "401"}) {
                        assertThat(operation
                                        .path("responses")
                                        .path(status)
                                        .path("content")
                                        .path("application/problem+json")
                                        .path("schema")
                                        .path("$ref")
                                        .asString())
                                .as(name + " " + status)
                                .isEqualTo("#/components/schemas/Problem");
                    }
                    assertThat(operation.path("responses").properties().stream()
                                    .map(e -> e.getKey())
                                    .anyMatch(s -> s.startsWith("2")))
                            .as(name + " has a success response")
                            .isTrue();
                }));
    }

    @Test
    void documentedSuccessStatusesAreTheServedOnes() {
        JsonNode paths = document().path("paths");
        Api.Response created = api.post("/api/qa-pairs", Api.pairJson("Which status?", "The documented one."));
        assertThat(paths.path("/api/qa-pairs").path("post").path("responses").has(Integer.toString(created.status())))
                .as("POST /api/qa-pairs answers " + created.status())
                .isTrue();
        Api.Response read = api.get("/api/qa-pairs/" + created.json().path("id").asString());
        assertThat(paths.path("/api/qa-pairs/{id}")
                        .path("get")
                        .path("responses")
                        .has(Integer.toString(read.status())))
                .isTrue();
        Api.Response deleted =
                api.delete("/api/qa-pairs/" + created.json().path("id").asString());
        assertThat(paths.path("/api/qa-pairs/{id}")
                        .path("delete")
                        .path("responses")
                        .has(Integer.toString(deleted.status())))
                .as("DELETE answers " + deleted.status())
                .isTrue();
        Api.Response missing =
                api.get("/api/qa-pairs/" + created.json().path("id").asString());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(paths.path("/api/qa-pairs/{id}")
                        .path("get")
                        .path("responses")
                        .has("404"))
                .isTrue();
    }

    @Test
    void committedCopyIsTheServedDocument() throws IOException {
        JsonNode served = document();
        if (Boolean.getBoolean("openapi.write")) {
            Files.writeString(COMMITTED, JSON.writeValueAsString(served) + "\n");
        }
        assertThat(Files.exists(COMMITTED))
                .as(COMMITTED + " exists; write it with -Dopenapi.write=true")
                .isTrue();
        assertThat(JSON.readTree(Files.readString(COMMITTED)))
                .as("docs/openapi.json is stale: write it again with " + "-Dopenapi.write=true")
                .isEqualTo(served);
    }

    @Test
    void swaggerUiIsServedAndSendsTheDashboardsKey() {
        Api.Response page = api.get("/swagger-ui/index.html");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("swagger-ui");
        Api.Response initializer = api.get("/swagger-ui/swagger-initializer.js");
        assertThat(initializer.status()).isEqualTo(200);
        assertThat(initializer.body())
                .contains("requestInterceptor")
                .contains("sessionStorage.getItem('qa-embeddings.key')")
                .contains("/v3/api-docs");
        assertThat(api.get("/swagger-ui.html").status())
                .as("redirects to the page")
                .isIn(200, 302);
    }
}
