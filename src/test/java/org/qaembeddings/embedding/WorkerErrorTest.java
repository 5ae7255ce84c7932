package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * Whatever a poll throws, an {@link Error} included, the worker's thread goes on: the rows it held
 * go back to PENDING at once, without an attempt charged, the failure shows in
 * {@code pausedReason} until a poll succeeds, and the next poll embeds them. The Error comes from
 * the clock the worker reads, which throws once, in the middle of a batch.
 */
@Tag("single-database")
@TestPropertySource(properties = "embedding.worker-enabled=false")
class WorkerErrorTest extends ClockDrivenTest {

    /** The test's clock, except that its {@code n}-th reading from now on throws. */
    private static final class FailingOnce extends Clock {
        private final Clock clock;
        private final AtomicInteger readings = new AtomicInteger();
        private volatile int failAt = -1;

        FailingOnce(Clock clock) {
            this.clock = clock;
        }

        void failAtReading(int n) {
            readings.set(0);
            failAt = n;
        }

        @Override
        public Instant instant() {
            if (readings.incrementAndGet() == failAt) {
                failAt = -1;
                throw new OutOfMemoryError("Java heap space (thrown by the test's clock)");
            }
            return clock.instant();
        }

        @Override
        public ZoneId getZone() {
            return clock.getZone();
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void anErrorInAPollHandsTheRowsBackAndTheThreadPollsOn() {
        FailingOnce failing = new FailingOnce(clock);
        worker = newWorker(failing);
        service = new EmbeddingService(repository, counts, reads, worker, properties, events, failing);
        EmbeddingScheduler scheduler =
                new EmbeddingScheduler(worker, newReembedding(worker, failing, properties), properties);
        List<UUID> ids =
                List.of(insertPair("Error one?", "a"), insertPair("Error two?", "b"), insertPair("Error three?", "c"));

        // the poll's readings: its start, the call's start, the bill, then the write, which throws
        failing.failAtReading(4);
        assertThat(scheduler.pollOnceSafely())
                .as("the Error does not leave the poll")
                .isZero();

        assertThat(OPENAI.requests()).as("the batch was sent before the Error").hasSize(1);
        for (UUID id : ids) {
            EmbeddingDetail detail = reads.findDetail(id).orElseThrow();
            assertThat(detail.status())
                    .as("handed back at once, not left to its lease")
                    .isEqualTo(EmbeddingStatus.PENDING);
            assertThat(detail.attempts()).as("no attempt charged").isZero();
        }
        assertThat(service.getHealthStats().pausedReason())
                .startsWith("embedding worker failing: OutOfMemoryError since ");
        assertThat(service.workerFailure()).isPresent();

        assertThat(scheduler.pollOnceSafely()).isEqualTo(3);

        for (UUID id : ids) {
            assertThat(reads.findDetail(id).orElseThrow().status()).isEqualTo(EmbeddingStatus.COMPLETED);
        }
        assertThat(service.getHealthStats().pausedReason())
                .as("cleared by a poll that succeeded")
                .isNull();
        assertThat(service.workerFailure()).isEmpty();
    }
}
