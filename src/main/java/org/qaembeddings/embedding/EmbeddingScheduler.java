package org.qaembeddings.embedding;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Drives {@link EmbeddingWorker#pollOnce()}, and {@link Reembedding#pollOnce()} when it finds
 * less than a batch due, on {@code embedding.worker-threads} background
 * threads: at once when a save commits, and every poll interval anyway, so that rows left PENDING
 * by a crash, a restart or another node are always picked up. A thread that found a full batch
 * wakes a sibling, since more work is likely waiting; the claims' SKIP LOCKED keeps them apart.
 */
@Component
class EmbeddingScheduler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingScheduler.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** After the interrupt: enough for one short transaction; a lease covers anything slower. */
    private static final Duration HAND_BACK_TIMEOUT = Duration.ofSeconds(2);

    private final EmbeddingWorker worker;
    private final Reembedding reembedding;
    private final EmbeddingProperties properties;
    private final Semaphore wakeups = new Semaphore(0);
    private volatile boolean running;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    EmbeddingScheduler(EmbeddingWorker worker, Reembedding reembedding, EmbeddingProperties properties) {
        this.worker = worker;
        this.reembedding = reembedding;
        this.properties = properties;
    }

    @TransactionalEventListener(fallbackExecution = true)
    void onEmbeddingRequested(EmbeddingRequested event) {
        wakeups.release();
    }

    @Override
    public void start() {
        if (!properties.workerEnabled()) {
            log.info("embedding worker disabled (embedding.worker-enabled=false): rows stay PENDING here");
            return;
        }
        running = true;
        for (int i = 0; i < properties.workerThreads(); i++) {
            Thread t = new Thread(this::run, "embedding-worker-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run() {
        while (running) {
            int claimed = pollOnceSafely();
            if (claimed < properties.batchSize()) {
                awaitWakeup();
            } else {
                wakeups.release();
            }
        }
    }

    /**
     * One poll that cannot end the thread: whatever it throws, an {@link Error} included (an
     * answer too big for the heap, a broken library), is logged once, the worker has already
     * handed its rows back, and the failure is shown in {@code pausedReason} and the
     * {@code embeddings} health contributor until a poll succeeds again.
     *
     * @return how many rows were claimed; 0 after a failure, so that the thread waits one interval
     */
    int pollOnceSafely() {
        try {
            int claimed = worker.pollOnce();
            if (claimed < properties.batchSize()) {
                // new and edited pairs go first; a change of setting is re-embedded in what is left of
                // the poll, so that a steady trickle of saves slows the switch but never stops it
                claimed += reembedding.pollOnce();
            }
            if (worker.recovered()) {
                log.info("embedding worker recovered: polls succeed again");
            }
            return claimed;
        } catch (Throwable t) {
            try {
                boolean first = worker.failed(t);
                if (first && t instanceof Error) {
                    log.error("embedding worker failed; its rows were handed back and it polls again", t);
                } else if (first) {
                    // e.g. the database is briefly gone: wait one interval, then try again
                    log.warn("embedding poll failed: {}", t.toString());
                }
            } catch (Throwable again) {
                // with the heap full even noting or logging it may fail; the thread goes on all the same
            }
            return 0;
        }
    }

    private void awaitWakeup() {
        try {
            wakeups.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
            // a burst of saves leaves many permits; one poll serves them all
            wakeups.drainPermits();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void stop() {
        running = false;
        wakeups.release(threads.size());
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        try {
            // let the batches in flight finish; a call that does not is interrupted, and its thread
            // hands the rows back, which needs the database still open: it gets a moment for that
            for (Thread t : threads) {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                if (t.isAlive()) {
                    t.interrupt();
                }
            }
            for (Thread t : threads) {
                t.join(HAND_BACK_TIMEOUT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.clear();
    }

    @Override
    public boolean isRunning() {
        return !threads.isEmpty();
    }
}
