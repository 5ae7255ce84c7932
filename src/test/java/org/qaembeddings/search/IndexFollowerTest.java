package org.qaembeddings.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.qaembeddings.embedding.ChangeFeed;
import org.qaembeddings.support.DatabaseTest;
import org.qaembeddings.support.MutableClock;
import org.qaembeddings.system.Timestamps;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/**
 * The follower driven by hand, one {@code pollOnce()} at a time, on a clock the test holds still;
 * no worker writes vectors behind its back.
 */
@TestPropertySource(properties = "embedding.worker-enabled=false")
class IndexFollowerTest extends DatabaseTest {

    @Autowired
    ChangeFeed feed;

    @Test
    void aPageAppliedWhileCatchingUpIsMadeVisibleOnceCaughtUpEvenIfNothingNewArrives() throws IOException {
        int pairs = 2 * IndexFollower.PAGE;
        for (int i = 0; i < pairs; i++) {
            UUID id = UUID.randomUUID();
            jdbc.sql("INSERT INTO qa_pair (id, question, answer, created_at, updated_at) VALUES (:id, :q, 'a', :t, :t)")
                    .param("id", id)
                    .param("q", "Follow " + i + "?")
                    .param("t", Timestamps.toDb(Instant.now()))
                    .update();
            jdbc.sql("""
                    INSERT INTO qa_embedding (qa_pair_id, status, text_hash, pending_since, next_attempt_at, attempts,
                                              updated_at, change_seq)
                    VALUES (:id, 'PENDING', '0', :t, :t, 0, :t, nextval('pair_change_seq'))""")
                    .param("id", id)
                    .param("t", Timestamps.toDb(Instant.now()))
                    .update();
        }
        MutableClock clock = new MutableClock(Instant.parse("2026-12-02T12:00:00Z"));
        SearchProperties properties = new SearchProperties(
                Files.createTempDirectory("follower"),
                Duration.ofMillis(200),
                Duration.ofSeconds(10),
                10,
                Duration.ofDays(7));
        IndexFollower follower = new IndexFollower(feed, properties, clock);
        follower.open();
        try {
            assertThat(follower.pollOnce()).isEqualTo(IndexFollower.PAGE); // the first page is refreshed
            assertThat(follower.pollOnce())
                    .isEqualTo(IndexFollower.PAGE); // the second, within ten seconds of it, is not yet
            assertThat(follower.index().size()).isEqualTo(IndexFollower.PAGE);
            assertThat(follower.pollOnce()).isZero(); // caught up: what was applied becomes visible
            assertThat(follower.caughtUp()).isTrue();
            assertThat(follower.index().size()).isEqualTo(pairs);
        } finally {
            follower.close();
        }
    }
}
