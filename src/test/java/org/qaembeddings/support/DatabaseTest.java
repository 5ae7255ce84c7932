package org.qaembeddings.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the tests that need the database: run once on H2 and once on PostgreSQL (tag "db").
 * Each test class gets a fresh schema and its own context, closed after the class, so that no
 * background worker of one class touches the rows of another. The provider is the openai one,
 * pointed at {@link #OPENAI}, a real HTTP server on loopback, with a long timeout: a test that holds a
 * call must not see it time out because the machine stalled (tests of timeouts set their own).
 */
@Tag("db")
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "embedding.provider=openai",
            "embedding.openai.model=fake-embedding",
            "embedding.openai.api-key=sk-test-secret-key-0123456789",
            "embedding.openai.timeout=60s",
            "embedding.poll-interval=200ms",
            // not in the middle of a test that makes the counts drift on purpose; tests call it themselves
            "embedding.recount-delay=1h"
        })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
public abstract class DatabaseTest {

    public static final int DIMENSIONS = 8;
    /** One server for the whole run; tests reset it before each test. */
    public static final FakeOpenAiServer OPENAI = new FakeOpenAiServer(DIMENSIONS);

    @Autowired
    protected JdbcClient jdbc;

    @LocalServerPort
    protected int port;
    /** A client of this test's service, over real HTTP. */
    protected Api api;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) throws IOException {
        TestDatabase.freshProperties().forEach((k, v) -> registry.add(k, () -> v));
        // each context's own index, as each node has its own
        Path index = Files.createTempDirectory("search-index");
        registry.add("search.index-dir", index::toString);
        registry.add("embedding.openai.base-url", OPENAI::baseUrl);
        registry.add("embedding.openai.dimensions", () -> DIMENSIONS);
    }

    @BeforeEach
    void emptyTablesAndResetProvider() {
        api = new Api(port);
        OPENAI.reset();
        jdbc.sql("DELETE FROM qa_pair").update();
        // the rows went behind the service's back; so do their counts
        jdbc.sql("UPDATE qa_embedding_count SET n = 0").update();
        jdbc.sql("DELETE FROM embedding_cost").update();
        jdbc.sql("DELETE FROM embedding_cost_rollup").update();
        jdbc.sql("DELETE FROM embedding_switch").update();
    }

    @AfterEach
    void providerStubsDidNotFail() {
        OPENAI.assertNoStubFailures();
    }

    protected long pairs() {
        return jdbc.sql("SELECT COUNT(*) FROM qa_pair").query(Long.class).single();
    }

    protected long rowsWithStatus(String status) {
        return TestDatabase.rowsWithStatus(jdbc, status);
    }
}
