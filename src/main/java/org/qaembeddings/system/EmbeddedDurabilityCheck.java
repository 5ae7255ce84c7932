package org.qaembeddings.system;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Warns at start-up when the database is an H2 file whose commits are written to the file late
 * ({@code WRITE_DELAY} above 0, H2's own default being 500 ms): a killed process then loses saves it
 * has already answered 201 to. The default URL sets {@code WRITE_DELAY=0}; a URL of one's own may
 * not. The check only warns: the operator may have chosen speed over durability on purpose.
 */
@Component
class EmbeddedDurabilityCheck {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDurabilityCheck.class);

    private final DataSource dataSource;

    EmbeddedDurabilityCheck(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @EventListener(ApplicationReadyEvent.class)
    void warnWhenCommitsAreWrittenLate() {
        Integer delay = writeDelayMillis();
        if (delay != null && delay > 0) {
            log.warn(
                    "the H2 file database writes commits {} ms late "
                            + "(WRITE_DELAY={}): saves answered in that window are "
                            + "lost if the process is killed; add ;WRITE_DELAY=0 to spring.datasource.url",
                    delay,
                    delay);
        }
    }

    /** The largest WRITE_DELAY an H2 file database reports; null for any other database. */
    Integer writeDelayMillis() {
        try (Connection connection = dataSource.getConnection()) {
            var meta = connection.getMetaData();
            String url = meta.getURL();
            if (!"H2".equals(meta.getDatabaseProductName())
                    || url.startsWith("jdbc:h2:mem:")
                    || url.startsWith("jdbc:h2:tcp:")
                    || url.startsWith("jdbc:h2:ssl:")) {
                return null;
            }
        } catch (SQLException e) {
            return null;
        }
        return JdbcClient.create(dataSource)
                .sql("""
                SELECT MAX(CAST(setting_value AS INT)) FROM information_schema.settings
                 WHERE setting_name = 'WRITE_DELAY'""")
                .query(Integer.class)
                .optional()
                .orElse(null);
    }
}
