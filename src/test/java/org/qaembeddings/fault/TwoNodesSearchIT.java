package org.qaembeddings.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.ServiceProcess;
import tools.jackson.databind.JsonNode;

/**
 * Two service processes on one PostgreSQL, each with its own search index and no message between
 * them: a pair saved on one is found on the other, by words and by meaning, and a node restarted
 * with its index reads only what changed while it was away.
 */
class TwoNodesSearchIT extends ProcessTests {

    /** Generous for a stalled machine; the benchmark measures the real figure (p99 under 1 s). */
    private static final Duration WITHIN = Duration.ofSeconds(30);

    private static final String ADMIN = "admin-key-0123456789abcdef";

    private static List<String> ids(Api api, String query, String mode) {
        return ids(api, null, query, mode);
    }

    private static List<String> ids(Api api, String key, String query, String mode) {
        String path = "/api/search?mode=" + mode + "&q=" + URLEncoder.encode(query, StandardCharsets.UTF_8);
        JsonNode json = api.call("GET", path, key, null).json();
        List<String> ids = new ArrayList<>();
        json.path("hits").forEach(hit -> ids.add(hit.path("id").asString()));
        return ids;
    }

    @Test
    void eachNodeFindsTheOthersPairsAndARestartedNodeCatchesUp() throws Exception {
        ProcessTests.migrate();
        Map<String, String> first = ProcessTests.service("search-1", OPENAI);
        Map<String, String> second = ProcessTests.service("search-2", OPENAI);
        try (ServiceProcess a = ServiceProcess.start("search-1", first);
                ServiceProcess b = ServiceProcess.start("search-2", second)) {
            String id = a.api().create("How do I renew a certificate?", "Run the renew task.");
            await().atMost(WITHIN)
                    .until(() -> ids(b.api(), "renew certificate", "keyword").equals(List.of(id)));
            await().atMost(WITHIN)
                    .until(() -> ids(
                                    b.api(),
                                    Pipeline.rendered("How do I renew a certificate?", "Run the renew task."),
                                    "semantic")
                            .equals(List.of(id)));

            String other = b.api().create("Where is the audit log?", "Under Settings, Audit.");
            await().atMost(WITHIN)
                    .until(() -> ids(a.api(), "audit log", "keyword").equals(List.of(other)));

            b.terminate();
            assertThat(b.awaitExit(Duration.ofSeconds(30))).isTrue();
            String whileAway = a.api().create("Can I rename a project?", "Yes, from its settings.");
            assertThat(a.api().delete("/api/qa-pairs/" + other).status()).isEqualTo(204);

            // an admin key on the restarted node, to read its index's own figures
            Map<String, String> secondAgain = new LinkedHashMap<>(second);
            secondAgain.put("security.admin-key", ADMIN);
            try (ServiceProcess again = ServiceProcess.start("search-2b", secondAgain)) {
                Api api = again.api();
                await().atMost(WITHIN)
                        .until(() ->
                                ids(api, ADMIN, "rename project", "keyword").equals(List.of(whileAway)));
                // a search drops deleted pairs when it reads the hits back, whatever the index holds:
                // the index's own count shows the deletion was read from the change feed
                await().atMost(WITHIN)
                        .until(
                                () -> api.call("GET", "/actuator/health/search", ADMIN, null)
                                        .json()
                                        .path("details")
                                        .path("pairsIndexed")
                                        .asInt(-1),
                                n -> n == 2);
                assertThat(ids(api, ADMIN, "audit log", "keyword")).isEmpty();
                assertThat(ids(api, ADMIN, "renew certificate", "keyword")).containsExactly(id);
                assertThat(Files.readString(again.log()))
                        .as("the index was kept, not rebuilt")
                        .doesNotContain("is rebuilt from the database");
            }
        }
    }
}
