package org.qaembeddings.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import tools.jackson.databind.JsonNode;

/**
 * Searches running while pairs are edited and deleted: every search answers, no pair deleted
 * before a search began is ever shown by it, and once the writes stop the index agrees with the
 * database.
 */
class SearchRaceTest extends DatabaseTest {

    private static final int PAIRS = 60;

    private static List<String> ids(JsonNode answer) {
        List<String> ids = new ArrayList<>();
        answer.path("hits").forEach(hit -> ids.add(hit.path("id").asString()));
        return ids;
    }

    @Test
    void editsAndDeletesRacingWithSearchesNeverShowADeletedPairOrFailASearch() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            ids.add(api.create("Racing question " + i + " about lanterns?", "Answer " + i + " about lanterns."));
        }
        Set<String> deleted = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger searches = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> searchers = new ArrayList<>();
            for (String mode : List.of("hybrid", "keyword")) {
                searchers.add(threads.submit(() -> {
                    Api client = new Api(port);
                    while (writing.get()) {
                        Set<String> goneBefore = new HashSet<>(deleted);
                        Api.Response r = client.get("/api/search?k=100&mode=" + mode + "&q="
                                + URLEncoder.encode("lanterns racing", StandardCharsets.UTF_8));
                        searches.incrementAndGet();
                        if (r.status() != 200) {
                            failures.add(mode + " answered " + r.status() + ": " + r.body());
                        } else {
                            ids(r.json()).stream()
                                    .filter(goneBefore::contains)
                                    .forEach(id -> failures.add(mode + " showed " + id + ", deleted before it began"));
                        }
                    }
                }));
            }
            Api writer = new Api(port);
            for (int i = 0; i < PAIRS; i++) {
                String id = ids.get(i);
                if (i % 3 == 0) {
                    assertThat(writer.delete("/api/qa-pairs/" + id).status()).isEqualTo(204);
                    deleted.add(id);
                } else {
                    assertThat(writer.put(
                                            "/api/qa-pairs/" + id,
                                            Api.pairJson(
                                                    "Edited question " + i + " about lanterns?",
                                                    "Edited answer " + i + " about lanterns."))
                                    .status())
                            .isEqualTo(200);
                }
            }
            writing.set(false);
            for (Future<?> f : searchers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            threads.shutdownNow();
        }
        assertThat(failures).isEmpty();
        assertThat(searches.get()).as("searches ran beside the writes").isPositive();

        List<String> survivors =
                ids.stream().filter(id -> !deleted.contains(id)).toList();
        JsonNode settled = await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> api.get("/api/search?k=100&mode=keyword&q=edited+lanterns")
                                .json(),
                        json -> new HashSet<>(ids(json)).equals(new HashSet<>(survivors)));
        settled.path("hits")
                .forEach(hit -> assertThat(hit.path("question").asString()).startsWith("Edited question"));
        // no old text stays indexed: a change the index skipped would keep its pair found by its old words
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ids(api.get("/api/search?k=100&mode=keyword&q=racing")
                                .json())
                        .isEmpty());
    }
}
