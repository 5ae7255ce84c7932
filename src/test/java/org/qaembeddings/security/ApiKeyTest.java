package org.qaembeddings.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qaembeddings.support.Api.assertProblem;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;

/** With keys configured, the API answers only to them; admin calls only to admin keys. */
@Tag("single-database")
@AutoConfigureMetrics
@TestPropertySource(
        properties = {
            "security.api-key=client-key-0123456789abcdef",
            "security.api-keys=rotated-key-0123456789abcdef,second-key-0123456789abcdef",
            "security.admin-key=admin-key-0123456789abcdef"
        })
class ApiKeyTest extends DatabaseTest {

    static final String CLIENT = "client-key-0123456789abcdef";
    static final String ROTATED = "second-key-0123456789abcdef";
    static final String ADMIN = "admin-key-0123456789abcdef";

    @Test
    void callsWithoutKeyAreRefusedAndChangeNothing() {
        Api.Response list = api.call("GET", "/api/qa-pairs", null, null);
        assertProblem(list, 401);
        assertThat(list.header("WWW-Authenticate")).startsWith("Bearer");

        assertProblem(api.call("POST", "/api/qa-pairs", null, Api.pairJson("q", "a")), 401);
        assertProblem(api.call("POST", "/api/qa-pairs", "Basic " + CLIENT, Api.pairJson("q", "a")), 401);
        assertThat(pairs()).isZero();
        assertThat(OPENAI.requests()).isEmpty();
    }

    @Test
    void wrongKeyIsRefusedAndNeverEchoed() {
        String wrong = CLIENT.substring(0, CLIENT.length() - 1) + "X";
        Api.Response r = api.call("POST", "/api/qa-pairs", wrong, Api.pairJson("q", "a"));

        assertProblem(r, 401);
        assertThat(r.body()).doesNotContain(wrong);
        assertThat(pairs()).isZero();
    }

    @Test
    void everyConfiguredKeyReadsAndWrites() {
        Api.Response created =
                api.call("POST", "/api/qa-pairs", CLIENT, Api.pairJson("Where is my order?", "Track it in Orders."));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().path("id").asString();

        for (String key : new String[] {CLIENT, ROTATED, "rotated-key-0123456789abcdef", ADMIN}) {
            assertThat(api.call("GET", "/api/qa-pairs/" + id, key, null).status())
                    .as(key)
                    .isEqualTo(200);
        }
        assertThat(api.call("PUT", "/api/qa-pairs/" + id, ROTATED, Api.pairJson("Where is my parcel?", "Orders."))
                        .status())
                .isEqualTo(200);
        assertThat(api.call("GET", "/api/embeddings/health", CLIENT, null).status())
                .isEqualTo(200);
        assertThat(api.call("DELETE", "/api/qa-pairs/" + id, CLIENT, null).status())
                .isEqualTo(204);
    }

    @Test
    void adminEndpointsNeedAnAdminKey() {
        String batch = "{\"qaPairIds\":[\"00000000-0000-0000-0000-000000000001\"]}";
        String[][] calls = {
            {"POST", "/api/embeddings/batch", batch},
            {"POST", "/api/embeddings/retry", "{}"},
            {"GET", "/api/embeddings/failed", null},
            {"GET", "/api/embeddings/costs", null},
            {"GET", "/api/embeddings/budget", null}
        };
        for (String[] c : calls) {
            assertProblem(api.call(c[0], c[1], null, c[2]), 401);
            assertProblem(api.call(c[0], c[1], CLIENT, c[2]), 403);
            assertThat(api.call(c[0], c[1], ADMIN, c[2]).status()).as(c[1]).isEqualTo(200);
        }
        // a path the controllers would not match is refused before it could be looked up
        assertProblem(api.call("GET", "/api/embeddings/anything", CLIENT, null), 403);
        // encoded, parameterised or dotted spellings of an admin path never reach it with a client key
        for (String trick : new String[] {
            "/api/embeddings/%63osts",
            "/api/embeddings;x=1/costs",
            "/api/qa-pairs/../embeddings/costs",
            "//api/embeddings/costs",
            "/api/embeddings//costs",
            "/actuator/health/../../api/embeddings/costs",
            "/api/embeddings/costs/"
        }) {
            Api.Response r = api.call("GET", trick, CLIENT, null);
            assertThat(r.status()).as(trick + ": " + r.body()).isBetween(400, 499);
            assertThat(r.body()).as(trick).doesNotContain("\"total\"");
        }
    }

    @Test
    void dashboardLearnsWhatItsKeyMaySeeWithoutARefusedCall() {
        String[][] cases = {
            {null, "none"}, {CLIENT, "client"}, {ROTATED, "client"}, {ADMIN, "admin"}, {CLIENT + "x", "invalid"}
        };
        for (String[] c : cases) {
            Api.Response r = api.call("GET", "/dashboard/access", c[0], null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("keysRequired").asBoolean()).isTrue();
            assertThat(r.json().path("role").asString()).as(c[1]).isEqualTo(c[1]);
            assertThat(r.body()).doesNotContain(CLIENT).doesNotContain(ADMIN);
        }
        Api.Response page = api.call("GET", "/", null, null);
        assertThat(page.status())
                .as("the page itself is open: it asks for a key")
                .isEqualTo(200);
        assertThat(page.body()).contains("<title>qa-embeddings</title>");
    }

    @Test
    void openApiDocumentNeedsAClientKeyAndSwaggerUiAsksForNone() {
        assertProblem(api.call("GET", "/v3/api-docs", null, null), 401);
        assertProblem(api.call("GET", "/v3/api-docs.yaml", null, null), 401);
        assertThat(api.call("GET", "/v3/api-docs", CLIENT, null)
                        .json()
                        .path("openapi")
                        .asString())
                .startsWith("3.1");
        // the page and its own settings hold nothing of the API; the page then sends the key
        assertThat(api.call("GET", "/swagger-ui/index.html", null, null).status())
                .isEqualTo(200);
        assertThat(api.call("GET", "/v3/api-docs/swagger-config", null, null).status())
                .isEqualTo(200);
    }

    @Test
    void healthIsOpenButItsDetailsAreForAdminsOnly() {
        Api.Response open = api.call("GET", "/actuator/health", null, null);
        assertThat(open.status()).isEqualTo(200);
        assertThat(open.json().path("components").path("db").path("status").asString())
                .isEqualTo("UP");
        assertThat(open.json().path("components").path("db").has("details")).isFalse();

        Api.Response client = api.call("GET", "/actuator/health", CLIENT, null);
        assertThat(client.json().path("components").path("db").has("details")).isFalse();

        Api.Response admin = api.call("GET", "/actuator/health", ADMIN, null);
        assertThat(admin.json()
                        .path("components")
                        .path("db")
                        .path("details")
                        .path("database")
                        .asString())
                .isNotBlank();
    }

    @Test
    void metricsNeedAKey() {
        assertProblem(api.call("GET", "/actuator/prometheus", null, null), 401);
        Api.Response metrics = api.call("GET", "/actuator/prometheus", CLIENT, null);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("embedding_provider_circuit_open");
    }

    @Test
    void onlyHealthAndPrometheusAreExposed() {
        for (String endpoint :
                new String[] {"env", "configprops", "beans", "heapdump", "threaddump", "loggers", "mappings"}) {
            assertThat(api.call("GET", "/actuator/" + endpoint, ADMIN, null).status())
                    .as(endpoint)
                    .isEqualTo(404);
        }
    }
}
