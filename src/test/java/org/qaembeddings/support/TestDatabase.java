package org.qaembeddings.support;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The database a test run uses, chosen by the system property {@code test.db}: {@code h2} (the
 * default) or {@code postgres} (the real server at {@code test.pg.url}). There is no fallback: when
 * PostgreSQL was asked for and is not there, the tests fail.
 */
public final class TestDatabase {

    public static final String PG_SCHEMA = "qa_embeddings_test";

    private TestDatabase() {}

    public static boolean isPostgres() {
        return "postgres".equals(System.getProperty("test.db", "h2"));
    }

    public static String name() {
        return isPostgres() ? "postgres" : "h2";
    }

    /** How many embedding rows have {@code status}. */
    public static long rowsWithStatus(JdbcClient jdbc, String status) {
        return jdbc.sql("SELECT COUNT(*) FROM qa_embedding WHERE status = :status")
                .param("status", status)
                .query(Long.class)
                .single();
    }

    /** Spring properties for a fresh, empty database (every earlier table dropped). */
    public static Map<String, String> freshProperties() {
        Map<String, String> properties = properties(null);
        drop(properties);
        return properties;
    }

    /**
     * Spring properties for the test database; with {@code h2File} set, H2 keeps its data in that
     * file, so that it outlives an application context (PostgreSQL always does).
     */
    public static Map<String, String> properties(Path h2File) {
        Map<String, String> p = new LinkedHashMap<>();
        if (isPostgres()) {
            String url = System.getProperty("test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
            p.put("spring.datasource.url", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + PG_SCHEMA);
            p.put("spring.datasource.username", System.getProperty("test.pg.user", "postgres"));
            p.put("spring.datasource.password", System.getProperty("test.pg.password", ""));
            p.put("spring.flyway.schemas", PG_SCHEMA);
        } else {
            String where = h2File == null ? "mem:qa_test" : "file:" + h2File.toAbsolutePath();
            p.put(
                    "spring.datasource.url",
                    "jdbc:h2:" + where
                            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
            p.put("spring.datasource.username", "sa");
            p.put("spring.datasource.password", "");
        }
        return p;
    }

    /** Closes an embedded H2 database for good, as a stopped process would; nothing to do for PostgreSQL. */
    public static void shutdown(Map<String, String> properties) {
        if (isPostgres()) {
            return;
        }
        try (Connection c = DriverManager.getConnection(
                        properties.get("spring.datasource.url"),
                        properties.get("spring.datasource.username"),
                        properties.get("spring.datasource.password"));
                Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        } catch (SQLException e) {
            throw new IllegalStateException("could not shut H2 down", e);
        }
    }

    public static void drop(Map<String, String> properties) {
        String url = properties.get("spring.datasource.url");
        try (Connection c = DriverManager.getConnection(
                        url,
                        properties.get("spring.datasource.username"),
                        properties.get("spring.datasource.password"));
                Statement s = c.createStatement()) {
            if (isPostgres()) {
                s.execute("DROP SCHEMA IF EXISTS " + PG_SCHEMA + " CASCADE");
            } else {
                s.execute("DROP ALL OBJECTS");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("test database " + name() + " at " + url + " is not reachable", e);
        }
    }
}
