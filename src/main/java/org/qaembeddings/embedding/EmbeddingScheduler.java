package org.qaembeddings.embedding;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Drives {@link EmbeddingWorker#pollOnce()} on one background thread: at once when a save commits,
 * and every poll interval anyway, so that rows left PENDING by a crash, a restart or another node
 * are always picked up.
 */
@Component
class EmbeddingScheduler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingScheduler.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final EmbeddingWorker worker;
    private final EmbeddingProperties properties;
    private final Semaphore wakeups = new Semaphore(0);
    private volatile boolean running;
    private volatile Thread thread;

    EmbeddingScheduler(EmbeddingWorker worker, EmbeddingProperties properties) {
        this.worker = worker;
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
        Thread t = new Thread(this::run, "embedding-worker");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void run() {
        while (running) {
            int claimed = 0;
            try {
                claimed = worker.pollOnce();
            } catch (RuntimeException e) {
                // e.g. the database is briefly gone: wait one interval, then try again
                log.warn("embedding poll failed: {}", e.toString());
            }
            if (claimed < properties.batchSize()) {
                awaitWakeup();
            }
        }
    }

    private void awaitWakeup() {
        try {
            wakeups.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
            wakeups.drainPermits();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void stop() {
        running = false;
        wakeups.release();
        Thread t = thread;
        if (t == null) {
            return;
        }
        try {
            // let the batch in flight finish; if it cannot, its lease hands it to another worker
            t.join(STOP_TIMEOUT.toMillis());
            if (t.isAlive()) {
                t.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }
}
