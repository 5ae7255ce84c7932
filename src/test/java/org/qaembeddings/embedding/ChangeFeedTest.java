package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qaembeddings.system.Timestamps;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.test.context.TestPropertySource;

/**
 * The change feed a search index follows: numbers are taken in one order and committed in
 * another, and a change whose transaction commits late is read all the same.
 */
@TestPropertySource(properties = "embedding.worker-enabled=false")
class ChangeFeedTest extends ClockDrivenTest {

    @Autowired
    ChangeFeed feed;

    @Autowired
    ChangeHorizon horizon;

    /**
     * A pair written as the save path writes it, its change number taken, but not its status
     * count: a count slot is locked until commit, and the test's other writer might want the same
     * one.
     */
    private UUID insertUncounted(String question) {
        UUID id = UUID.randomUUID();
        jdbc.sql("INSERT INTO qa_pair (id, question, answer, created_at, updated_at) VALUES (:id, :q, 'a', :t, :t)")
                .param("id", id)
                .param("q", question)
                .param("t", Timestamps.toDb(clock.instant()))
                .update();
        horizon.enlist();
        jdbc.sql("""
                INSERT INTO qa_embedding (qa_pair_id, status, text_hash, pending_since, next_attempt_at, attempts,
                                          updated_at, change_seq)
                VALUES (:id, 'PENDING', :hash, :t, :t, 0, :t, nextval('pair_change_seq'))""")
                .param("id", id)
                .param("hash", "0".repeat(64))
                .param("t", Timestamps.toDb(clock.instant()))
                .update();
        return id;
    }

    /** Reads from {@code from} until a read finds nothing more, the gaps aside. */
    private ChangeFeed.Batch readAll(ChangeFeed.Position from) {
        return feed.read(from, 1_000);
    }

    private static List<UUID> ids(ChangeFeed.Batch batch) {
        return batch.changes().stream().map(ChangeFeed.Change::id).toList();
    }

    @Test
    void aChangeWhoseTransactionCommitsLateIsReadAfterTheChangesThatOvertookIt() throws Exception {
        ChangeFeed.Position start = readAll(ChangeFeed.Position.START).next();
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            // the first writer takes its number and holds its transaction open
            Future<UUID> held = writer.submit(() -> transactions.execute(tx -> {
                UUID id = insertUncounted("Held back?");
                taken.countDown();
                awaitQuietly(release);
                return id;
            }));
            assertThat(taken.await(20, TimeUnit.SECONDS)).isTrue();
            // the second takes a later number and commits first
            UUID overtaking = insertPair("Overtaking?", "b");

            ChangeFeed.Batch first = readAll(start);
            assertThat(ids(first)).containsExactly(overtaking);
            assertThat(first.next().gaps()).as("the held number is a gap").hasSize(1);
            ChangeFeed.Batch again = readAll(first.next());
            assertThat(again.changes()).isEmpty();
            assertThat(again.next().gaps())
                    .as("kept while its transaction runs")
                    .isEqualTo(first.next().gaps());

            release.countDown();
            UUID late = held.get(20, TimeUnit.SECONDS);
            ChangeFeed.Batch after = readAll(again.next());
            assertThat(ids(after)).as("the late commit is read").containsExactly(late);
            assertThat(readAll(after.next()).next().gaps())
                    .as("and its gap closed")
                    .isEmpty();
        } finally {
            release.countDown();
            writer.shutdownNow();
        }
    }

    @Test
    void aNumberWhoseTransactionRolledBackIsDroppedOnceItEnded() throws Exception {
        ChangeFeed.Position start = readAll(ChangeFeed.Position.START).next();
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<?> rolledBack = writer.submit(() -> transactions.executeWithoutResult(tx -> {
                insertUncounted("Never committed?");
                taken.countDown();
                awaitQuietly(release);
                tx.setRollbackOnly();
            }));
            assertThat(taken.await(20, TimeUnit.SECONDS)).isTrue();
            UUID committed = insertPair("Committed?", "b");
            ChangeFeed.Batch first = readAll(start);
            assertThat(ids(first)).containsExactly(committed);
            assertThat(first.next().gaps()).hasSize(1);

            release.countDown();
            rolledBack.get(20, TimeUnit.SECONDS);
            ChangeFeed.Batch after = readAll(first.next());
            assertThat(after.changes()).isEmpty();
            assertThat(after.next().gaps())
                    .as("no transaction can hold it any more")
                    .isEmpty();
            assertThat(after.next().read()).isEqualTo(first.next().read());
        } finally {
            release.countDown();
            writer.shutdownNow();
        }
    }

    @Test
    void aChangeNumberBelongsToOneRow() {
        insertPair("Numbered?", "a");
        UUID second = insertPair("Numbered too?", "a");
        // the planner relies on it: a filled gap is looked up by the index whatever the statistics say
        assertThatThrownBy(() -> jdbc.sql("""
                        UPDATE qa_embedding SET change_seq = (SELECT min(change_seq) FROM qa_embedding)
                         WHERE qa_pair_id = :id""").param("id", second).update())
                .isInstanceOf(DataIntegrityViolationException.class);
    }

    @Test
    void savesEditsVectorsAndDeletionsAreReadInOrder() {
        ChangeFeed.Position start = readAll(ChangeFeed.Position.START).next();
        UUID id = insertPair("Feed me?", "a");
        ChangeFeed.Batch saved = readAll(start);
        assertThat(saved.changes()).singleElement().satisfies(c -> {
            assertThat(c.question()).isEqualTo("Feed me?");
            assertThat(c.vector()).isNull();
            assertThat(c.status()).isEqualTo(EmbeddingStatus.PENDING);
        });

        worker.pollOnce();
        ChangeFeed.Batch embedded = readAll(saved.next());
        assertThat(embedded.changes()).singleElement().satisfies(c -> {
            assertThat(c.vector()).hasSize(DIMENSIONS);
            assertThat(c.vectorCurrent()).isTrue();
            assertThat(c.setting()).isEqualTo(worker.setting().key());
        });

        transactions.executeWithoutResult(tx -> {
            jdbc.sql("UPDATE qa_pair SET question = 'Fed?' WHERE id = :id")
                    .param("id", id)
                    .update();
            service.requestIfTextChanged(id, "Fed?", "a", clock.instant());
        });
        ChangeFeed.Batch edited = readAll(embedded.next());
        assertThat(edited.changes()).singleElement().satisfies(c -> {
            assertThat(c.question()).isEqualTo("Fed?");
            assertThat(c.vector())
                    .as("the last vector stays until the new one is written")
                    .hasSize(DIMENSIONS);
            assertThat(c.vectorCurrent()).isFalse();
        });

        transactions.executeWithoutResult(tx -> {
            service.forget(id);
            jdbc.sql("DELETE FROM qa_pair WHERE id = :id").param("id", id).update();
        });
        ChangeFeed.Batch deleted = readAll(edited.next());
        assertThat(deleted.changes()).singleElement().satisfies(c -> {
            assertThat(c.deleted()).isTrue();
            assertThat(c.id()).isEqualTo(id);
        });
        assertThat(deleted.next().gaps()).isEmpty();
    }

    @Test
    void aPositionSurvivesItsTextForm() {
        ChangeFeed.Position position = new ChangeFeed.Position(
                1234, List.of(new ChangeFeed.Gap(10, 12, 99), new ChangeFeed.Gap(1200, 1200, Long.MAX_VALUE)));
        assertThat(ChangeFeed.Position.decode(position.encode())).isEqualTo(position);
        assertThat(ChangeFeed.Position.decode(ChangeFeed.Position.START.encode()))
                .isEqualTo(ChangeFeed.Position.START);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
