package org.qaembeddings.fault;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Base of the process tests (*IT): a schema of their own on the real PostgreSQL, dropped before
 * each test, a provider stand-in for the whole run (reset before each test), and the settings a
 * service process gets to use both.
 */
abstract class ProcessTests {

    static final String SCHEMA = "qa_embeddings_it";
    static final int DIMENSIONS = 8;
    /** One server for the whole run, as DatabaseTest's. */
    static final FakeOpenAiServer OPENAI = new FakeOpenAiServer(DIMENSIONS);

    @BeforeEach
    void freshSchemaAndProvider() throws SQLException {
        freshSchema();
        OPENAI.reset();
    }

    @AfterEach
    void providerStubsDidNotFail() {
        OPENAI.assertNoStubFailures();
    }

    static String baseUrl() {
        return System.getProperty("test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
    }

    static String user() {
        return System.getProperty("test.pg.user", "postgres");
    }

    /** The JDBC URL of the test schema; {@code applicationName} tells the sessions of one process apart. */
    static String url(String applicationName) {
        String base = baseUrl();
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA + "&ApplicationName="
                + applicationName;
    }

    static Connection connect(String applicationName) throws SQLException {
        return DriverManager.getConnection(url(applicationName), user(), System.getProperty("test.pg.password", ""));
    }

    static JdbcClient jdbc() {
        return JdbcClient.create(
                new DriverManagerDataSource(url("it-test"), user(), System.getProperty("test.pg.password", "")));
    }

    /** Drops the schema, so that each test starts empty. */
    static void freshSchema() throws SQLException {
        try (Connection c = DriverManager.getConnection(baseUrl(), user(), System.getProperty("test.pg.password", ""));
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }

    /** The service's own migrations, run from here, for tests that fill the tables before any process starts. */
    static void migrate() {
        Flyway.configure()
                .dataSource(url("it-migrate"), user(), System.getProperty("test.pg.password", ""))
                .schemas(SCHEMA)
                .locations("classpath:db/migration", "classpath:db/vendor/postgresql")
                .load()
                .migrate();
    }

    /**
     * {@code n} pending pairs written straight into the tables (the schema must exist), as a backlog
     * left by an import or an outage. The hash is the service's compare-and-set key: SHA-256 of the
     * text under the default template.
     */
    static void insertPendingPairs(JdbcClient jdbc, String prefix, int n) {
        jdbc.sql("""
                INSERT INTO qa_pair (id, question, answer, created_at, updated_at)
                SELECT gen_random_uuid(), :prefix || ' question ' || n || '?', 'answer ' || n, now(), now()
                  FROM generate_series(1, :n) n""").param("prefix", prefix).param("n", n).update();
        jdbc.sql("""
                INSERT INTO qa_embedding (qa_pair_id, status, text_hash, pending_since, next_attempt_at,
                                          attempts, updated_at,
                                          change_seq)
                SELECT id, 'PENDING',
                       encode(sha256(convert_to('Question: ' || question || E'\nAnswer: ' || answer, 'UTF8')), 'hex'),
                       now(), now(), 0, now(), nextval('pair_change_seq')
                  FROM qa_pair""").update();
    }

    /**
     * Settings of one service process named {@code name}, with its own provider key so the stand-in
     * can tell processes apart.
     */
    static Map<String, String> service(String name, FakeOpenAiServer openAi) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("spring.datasource.url", url(name));
        p.put("spring.datasource.username", user());
        p.put("spring.datasource.password", System.getProperty("test.pg.password", ""));
        p.put("spring.flyway.schemas", SCHEMA);
        p.put("embedding.provider", "openai");
        p.put("embedding.openai.base-url", openAi.baseUrl());
        p.put("embedding.openai.api-key", "sk-it-" + name + "-0123456789");
        p.put("embedding.openai.model", "fake-embedding");
        p.put("embedding.openai.dimensions", Integer.toString(DIMENSIONS));
        p.put("embedding.poll-interval", "100ms");
        p.put("security.rate-limit.writes-per-second", "0");
        // each node its own index, as in production
        p.put(
                "search.index-dir",
                Path.of("target/it-index", name + "-" + UUID.randomUUID())
                        .toAbsolutePath()
                        .toString());
        return p;
    }
}
