package org.qaembeddings.security;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.properties.SwaggerUiConfigProperties;
import org.springdoc.core.properties.SwaggerUiOAuthProperties;
import org.springdoc.core.providers.ObjectMapperProvider;
import org.springdoc.webmvc.ui.SwaggerIndexPageTransformer;
import org.springdoc.webmvc.ui.SwaggerIndexTransformer;
import org.springdoc.webmvc.ui.SwaggerWelcomeCommon;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.web.servlet.resource.ResourceTransformerChain;
import org.springframework.web.servlet.resource.TransformedResource;

/**
 * The OpenAPI document ({@code /v3/api-docs}, committed as {@code docs/openapi.json}) and Swagger UI.
 * springdoc reads the controllers; this adds what it cannot see: the two keys, which endpoints need
 * which (as {@link ApiKeyFilter} decides), the problem JSON every refusal answers with, and examples.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String CLIENT_KEY = "clientKey";
    static final String ADMIN_KEY = "adminKey";
    static final String PROBLEM = "Problem";
    /** Where the dashboard keeps the key it was given; Swagger UI in the same tab sends it too. */
    static final String KEY_STORAGE = "qa-embeddings.key";

    @Bean
    OpenAPI openApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("qa-embeddings")
                        .version("0.1.0")
                        .description("Question/answer pairs with an always up-to-date vector embedding each, found "
                                + "by meaning and by words. With no key configured the service listens "
                                + "on loopback only and asks for none; with keys set, every call needs "
                                + "a client key and `/api/embeddings/*` (but `/api/embeddings/health`) "
                                + "an admin key. Every refusal is a problem JSON (RFC 9457)."))
                // relative: the document is the same whichever address served it
                .servers(List.of(new Server().url("/").description("this service")))
                .components(new Components()
                        .addSecuritySchemes(
                                CLIENT_KEY,
                                new SecurityScheme()
                                        .type(SecurityScheme.Type.HTTP)
                                        .scheme("bearer")
                                        .description("A client key: `security.api-key` or one of `security.api-keys`"))
                        .addSecuritySchemes(
                                ADMIN_KEY,
                                new SecurityScheme()
                                        .type(SecurityScheme.Type.HTTP)
                                        .scheme("bearer")
                                        .description(
                                                "An admin key: `security.admin-key` or one of `security.admin-keys`; "
                                                        + "it may call everything a client key may")));
    }

    private static Schema<?> problemSchema() {
        // a plain schema of type object: ObjectSchema would write its example as one string
        // OpenAPI 3.1 writes the types as a set
        return new Schema<Object>()
                .type("object")
                .types(Set.of("object"))
                .description("RFC 9457 problem details")
                .addProperty("type", new StringSchema().description("a URI naming the kind of problem"))
                .addProperty("title", new StringSchema())
                .addProperty("status", new IntegerSchema())
                .addProperty("detail", new StringSchema().description("what was wrong, naming the field or parameter"))
                .addProperty("instance", new StringSchema().description("the path called"))
                .example(Map.of(
                        "type",
                        "about:blank",
                        "title",
                        "Bad Request",
                        "status",
                        400,
                        "detail",
                        "question must not be blank",
                        "instance",
                        "/api/qa-pairs"));
    }

    /** Keys per endpoint, the problem answers, and examples of the main bodies. */
    @Bean
    OpenApiCustomizer securityProblemsAndExamples() {
        return openApi -> {
            // here, not in the OpenAPI bean: springdoc writes the schemas it finds over those
            openApi.getComponents().addSchemas(PROBLEM, problemSchema());
            openApi.getPaths()
                    .forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
                        // the filter's own rule, so that the document cannot say other than what is enforced
                        boolean admin = ApiKeyFilter.need(path) == ApiKeyFilter.Need.ADMIN_KEY;
                        operation.setTags(List.of(tag(path, admin)));
                        operation.setSecurity(
                                admin
                                        ? List.of(new SecurityRequirement().addList(ADMIN_KEY))
                                        : List.of(
                                                new SecurityRequirement().addList(CLIENT_KEY),
                                                new SecurityRequirement().addList(ADMIN_KEY)));
                        ApiResponses responses =
                                operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
                        problem(responses, "400", "a parameter or body the API does not accept");
                        problem(responses, "401", "keys are configured and none, or a wrong one, was sent");
                        if (admin) {
                            problem(responses, "403", "a client key where an admin key is needed");
                        }
                        if (path.contains("{id}")) {
                            problem(responses, "404", "no pair with this id");
                        }
                        if (method != PathItem.HttpMethod.GET) {
                            problem(
                                    responses,
                                    "429",
                                    "this client's writes are over security.rate-limit; see Retry-After");
                        }
                        operation.setResponses(responses);
                    }));
            example(
                    openApi,
                    "QaRequest",
                    Map.of(
                            "question",
                            "How do I reset my password?",
                            "answer",
                            "Open Settings, then Security, and choose Reset password."));
            example(
                    openApi,
                    "BatchResult",
                    Map.of(
                            "successful",
                            2,
                            "failed",
                            1,
                            "errors",
                            List.of("3f1c7c1e-8f0a-4d7e-9a43-2b9f0d6c1a10: input rejected by the provider")));
        };
    }

    /** Groups by what a caller wants, not by controller class. */
    private static String tag(String path, boolean admin) {
        if (path.startsWith("/api/search") || path.endsWith("/similar")) {
            return "search";
        }
        if (path.startsWith("/api/qa-pairs")) {
            return "pairs";
        }
        if (path.startsWith("/api/embeddings/costs") || path.startsWith("/api/embeddings/budget")) {
            return "costs (admin)";
        }
        return admin ? "pipeline (admin)" : "pipeline";
    }

    private static void problem(ApiResponses responses, String status, String description) {
        ApiResponse existing = responses.get(status);
        if (existing == null) {
            existing = new ApiResponse().description(description);
            responses.addApiResponse(status, existing);
        }
        existing.setContent(new Content()
                .addMediaType(
                        "application/problem+json",
                        new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
    }

    private static void example(OpenAPI openApi, String schema, Object example) {
        Schema<?> found =
                openApi.getComponents() == null || openApi.getComponents().getSchemas() == null
                        ? null
                        : openApi.getComponents().getSchemas().get(schema);
        if (found != null) {
            found.setExample(example);
        }
    }

    /**
     * Swagger UI sends the key the dashboard holds in this tab, so that with keys set it can load
     * the document and try calls without the key being typed again (or put in a URL).
     */
    @Bean
    SwaggerIndexTransformer swaggerKeyFromSessionStorage(
            SwaggerUiConfigProperties config,
            SwaggerUiOAuthProperties oauth,
            SwaggerWelcomeCommon welcome,
            ObjectMapperProvider mapper) {
        return new SwaggerIndexPageTransformer(config, oauth, welcome, mapper) {
            @Override
            public Resource transform(HttpServletRequest request, Resource resource, ResourceTransformerChain chain)
                    throws IOException {
                Resource transformed = super.transform(request, resource, chain);
                if (!request.getRequestURI().endsWith("/swagger-initializer.js")) {
                    return transformed;
                }
                String script = new String(transformed.getContentAsByteArray(), StandardCharsets.UTF_8);
                String interceptor = "SwaggerUIBundle({\n    requestInterceptor: (request) => {\n"
                        + "      const key = sessionStorage.getItem('" + KEY_STORAGE + "');\n"
                        + "      if (key && !request.headers.Authorization) { "
                        + "request.headers.Authorization = 'Bearer ' + key; }\n"
                        + "      return request;\n    },";
                return new TransformedResource(
                        resource,
                        script.replace("SwaggerUIBundle({", interceptor).getBytes(StandardCharsets.UTF_8));
            }
        };
    }
}
