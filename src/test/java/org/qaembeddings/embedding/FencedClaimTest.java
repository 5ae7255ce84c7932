package org.qaembeddings.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qaembeddings.support.FakeOpenAiServer;
import org.springframework.test.context.TestPropertySource;

/**
 * A worker whose lease ran out mid-call (a GC pause, a slow provider) must not write rows another
 * worker has claimed since: every write names the claim it came from. The first worker's call is
 * held past its lease; a second worker claims the rows and its call is held too; the first then
 * comes back with vectors (which would complete the rows under the first claim) or a 503 (which
 * would hand them back), the second with vectors.
 */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "embedding.lease=30s"})
class FencedClaimTest extends ClockDrivenTest {

    /**
     * @param lateAnswer what the first worker's call comes back with: vectors (it would complete
     *     the rows) or a 503 (it would hand them back to PENDING)
     */
    @ParameterizedTest
    @ValueSource(strings = {"vectors", "unavailable"})
    void aWorkerWhoseLeaseRanOutCannotOverwriteTheNextClaim(String lateAnswer) throws Exception {
        List<UUID> ids = List.of(insertPair("Fenced one?", "a"), insertPair("Fenced two?", "b"));
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch releaseSecond = new CountDownLatch(1);
        provider(request -> {
            boolean first = requestTimes.size() == 1;
            try {
                (first ? releaseFirst : releaseSecond).await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return first && lateAnswer.equals("unavailable")
                    ? FakeOpenAiServer.Reply.json(503, "{\"error\":{\"message\":\"overloaded\"}}")
                    : OPENAI.vectors(request);
        });
        EmbeddingWorker late = worker;
        EmbeddingWorker next = newWorker(clock);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> lateCall = threads.submit(late::pollOnce);
            await().atMost(Duration.ofSeconds(20)).until(() -> OPENAI.requests().size() == 1);
            clock.advance(Duration.ofSeconds(31)); // the first claim's lease runs out mid-call
            Future<Integer> nextCall = threads.submit(next::pollOnce);
            await().atMost(Duration.ofSeconds(20)).until(() -> OPENAI.requests().size() == 2);

            releaseFirst.countDown();
            assertThat(lateCall.get(20, TimeUnit.SECONDS)).isEqualTo(2);
            for (UUID id : ids) {
                EmbeddingDetail detail = reads.findDetail(id).orElseThrow();
                assertThat(detail.status())
                        .as("the late answer changed nothing")
                        .isEqualTo(EmbeddingStatus.PROCESSING);
                assertThat(detail.lastError()).isNull();
                assertThat(detail.vector()).isNull();
            }
            releaseSecond.countDown();
            assertThat(nextCall.get(20, TimeUnit.SECONDS)).isEqualTo(2);
        } finally {
            releaseFirst.countDown();
            releaseSecond.countDown();
            threads.shutdownNow();
        }
        for (UUID id : ids) {
            EmbeddingDetail detail = reads.findDetail(id).orElseThrow();
            assertThat(detail.status()).as("the second claim's result stands").isEqualTo(EmbeddingStatus.COMPLETED);
            assertThat(detail.attempts())
                    .as("the call lost with the first lease is not charged")
                    .isEqualTo(1);
        }
    }
}
