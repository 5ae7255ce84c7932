package org.qaembeddings.embedding;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.qaembeddings.system.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Checks the per-status counts against the rows once after start-up, in the background and
 * {@code embedding.recount-delay} later. The check counts every row of {@code qa_embedding}: at a
 * million pairs PostgreSQL reads the whole table for it, 2.7 s on both cores of a small machine,
 * and at start-up those cores are wanted by the search index's catch-up and by the first requests.
 */
@Component
class StartupRecount implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(StartupRecount.class);

    private final EmbeddingService embeddings;
    private final Duration delay;
    private final ScheduledThreadPoolExecutor scheduler;
    private volatile boolean closing;

    StartupRecount(EmbeddingService embeddings, EmbeddingProperties properties) {
        this.embeddings = embeddings;
        this.delay = properties.recountDelay();
        this.scheduler = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("embedding-recount"));
        // a node stopped before the delay has passed skips the check; the next start makes it
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @EventListener(ApplicationStartedEvent.class)
    void afterStart() {
        schedule(delay);
    }

    /** Recounts {@code after} from now, on the recount's own thread. */
    void schedule(Duration after) {
        scheduler.schedule(this::recount, after.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void recount() {
        try {
            embeddings.reconcileCounts();
        } catch (RuntimeException e) {
            if (!closing) {
                log.warn("embedding status counts not checked against the rows: {}", e.toString());
            }
        }
    }

    @Override
    public void destroy() {
        closing = true;
        scheduler.shutdown(); // not an interrupt: a count under way ends with the connection pool
    }
}
