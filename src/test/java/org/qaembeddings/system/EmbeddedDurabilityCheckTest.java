package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/** The start-up check reads the write delay of an H2 file database, and leaves other databases alone. */
class EmbeddedDurabilityCheckTest {

    private static Integer writeDelay(String url) {
        SingleConnectionDataSource dataSource = new SingleConnectionDataSource(url, "sa", "", true);
        try {
            return new EmbeddedDurabilityCheck(dataSource).writeDelayMillis();
        } finally {
            dataSource.destroy();
        }
    }

    @Test
    void anH2FileWithH2sOwnDefaultWritesCommitsLate(@TempDir Path directory) {
        assertThat(writeDelay("jdbc:h2:file:" + directory.resolve("late") + ";DATABASE_TO_LOWER=TRUE"))
                .isEqualTo(500);
    }

    @Test
    void theDefaultUrlWritesEachCommitAtOnce(@TempDir Path directory) {
        assertThat(writeDelay("jdbc:h2:file:" + directory.resolve("durable")
                        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0"))
                .isZero();
    }

    @Test
    void anInMemoryDatabaseHasNothingToLoseToAKill() {
        assertThat(writeDelay("jdbc:h2:mem:durability-check")).isNull();
    }
}
