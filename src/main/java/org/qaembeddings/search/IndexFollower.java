package org.qaembeddings.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.qaembeddings.embedding.ChangeFeed;
import org.qaembeddings.system.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Keeps this node's {@link SearchIndex} in step with the database by following the change feed:
 * {@link #pollOnce()} reads one page of changes, applies it, and makes it searchable; a thread
 * drives it every {@code search.refresh-interval}, at once again while pages come back full. The
 * change position goes into each durable commit, so a restart reads only what changed since.
 */
@Component
class IndexFollower implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(IndexFollower.class);
    /** Changes read per poll: enough to catch up fast, few enough to stay responsive. */
    static final int PAGE = 1_000;
    /** An index is committed at least this often, so that its age says when it last followed the feed. */
    private static final Duration IDLE_COMMIT = Duration.ofHours(1);

    private static final Duration PRUNE_EVERY = Duration.ofHours(1);
    private static final Duration CATCH_UP_REFRESH = Duration.ofSeconds(1);
    /**
     * The same before the first catch-up after opening, when semantic searches wait for the
     * catch-up anyway and keyword ones are answered from the index as committed: each refresh
     * writes a segment and stops applying while it does.
     */
    private static final Duration FIRST_CATCH_UP_REFRESH = Duration.ofSeconds(10);

    private final ChangeFeed feed;
    private final SearchProperties properties;
    private final Clock clock;
    private final Object lock = new Object();
    private volatile SearchIndex index;
    private volatile ChangeFeed.Position position;
    private ChangeFeed.Position committed;
    private Instant lastCommit;
    private Instant lastPrune = Instant.MIN;
    private Instant lastRefresh = Instant.MIN;

    private volatile Instant openedAt;
    private volatile Duration catchUp;
    private volatile String failure;
    private volatile boolean running;
    private final Semaphore stopping = new Semaphore(0);
    private Thread thread;
    /**
     * Reads the next page while one is applied: a catch-up spends its time on both, and they need
     * different resources.
     */
    private ExecutorService reader;

    private Future<ChangeFeed.Batch> ahead;
    private ChangeFeed.Position aheadFrom;

    IndexFollower(ChangeFeed feed, SearchProperties properties, Clock clock) {
        this.feed = feed;
        this.properties = properties;
        this.clock = clock;
    }

    /** Opens the index (rebuilding it when it cannot be used), without starting the thread. */
    void open() {
        synchronized (lock) {
            if (index != null) {
                return;
            }
            Instant now = clock.instant();
            index = SearchIndex.open(properties.indexDir(), now.minus(properties.deletionRetention()));
            position = index.committedPosition();
            committed = position;
            lastCommit = now;
            openedAt = now;
            catchUp = null;
            reader = Executors.newSingleThreadExecutor(DaemonThreads.named("search-index-read"));
        }
    }

    /**
     * Reads one page of changes and applies it.
     *
     * @return how many changes were read; {@link #PAGE} or more means more are likely waiting
     */
    int pollOnce() {
        synchronized (lock) {
            if (index == null) {
                throw new IllegalStateException("the search index is closed");
            }
            try {
                ChangeFeed.Batch batch = read(position);
                index.apply(batch.changes());
                position = batch.next();
                Instant now = clock.instant();
                // a refresh writes a segment: while catching up (full pages) at most one a second,
                // or a rebuild of a million pairs would write a thousand tiny segments to merge; once
                // caught up, whatever was applied is made visible, even by a read that found nothing new
                Duration every = catchUp == null ? FIRST_CATCH_UP_REFRESH : CATCH_UP_REFRESH;
                if (index.unrefreshed() > 0 && (batch.caughtUp() || !now.isBefore(lastRefresh.plus(every)))) {
                    index.refresh();
                    lastRefresh = now;
                }
                if (batch.caughtUp() && catchUp == null) {
                    catchUp = Duration.between(openedAt, clock.instant()); // the last refresh included
                    log.info(
                            "search index caught up with the database in {} ms: {} pairs",
                            catchUp.toMillis(),
                            index.size());
                }
                if (batch.caughtUp()) {
                    index.caughtUp(); // merges wait for this: while catching up they would take its cores
                }
                if (!position.equals(committed) && !now.isBefore(lastCommit.plus(properties.commitInterval()))
                        || !now.isBefore(lastCommit.plus(IDLE_COMMIT))) {
                    commit(now);
                }
                if (!now.isBefore(lastPrune.plus(PRUNE_EVERY))) {
                    lastPrune = now;
                    feed.pruneDeletions(now.minus(properties.deletionRetention()));
                }
                return batch.changes().size();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * The page at {@code from}: read ahead by the last poll when that one was full, else read now. A
     * page read a moment early is as good as one read now: a change that commits after the read
     * lies past the page's position or in one of its gaps, which later reads look at again.
     */
    private ChangeFeed.Batch read(ChangeFeed.Position from) {
        ChangeFeed.Batch batch = null;
        if (ahead != null && from.equals(aheadFrom)) {
            try {
                batch = ahead.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                // read again below, where a failure is reported as any other
            }
        }
        ahead = null;
        if (batch == null) {
            batch = feed.read(from, PAGE);
        }
        if (batch.changes().size() >= PAGE) {
            ChangeFeed.Position next = batch.next();
            aheadFrom = next;
            ahead = reader.submit(() -> feed.read(next, PAGE));
        }
        return batch;
    }

    private void commit(Instant now) throws IOException {
        index.commit(position, now);
        committed = position;
        lastCommit = now;
    }

    /** The index, for a search; null while closed. Searches may run beside a poll. */
    SearchIndex index() {
        return index;
    }

    /** Whether the index has read every change there was at some point since it opened. */
    boolean caughtUp() {
        return catchUp != null;
    }

    /** How long the index took from opening to its first caught-up read; null until then (not caught up yet). */
    Duration catchUp() {
        return catchUp;
    }

    /** The change position applied so far. */
    ChangeFeed.Position position() {
        return position;
    }

    /** Why polls fail, or null while they succeed. */
    String failure() {
        return failure;
    }

    @Override
    public void start() {
        open();
        running = true;
        thread = new Thread(this::run, "search-index-follower");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            int read;
            try {
                read = pollOnce();
                if (failure != null) {
                    log.info("search index follows the database again");
                    failure = null;
                }
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    log.warn("search index could not follow the database: {}", e.toString());
                }
                failure = e.getClass().getSimpleName() + " since " + clock.instant();
                read = 0;
            }
            if (read < PAGE) {
                try {
                    stopping.tryAcquire(properties.refreshInterval().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void stop() {
        running = false;
        if (thread != null) {
            // not an interrupt: one during Lucene's file I/O would close its channels under the writer
            stopping.release();
            try {
                thread.join(Duration.ofSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
    }

    /** Commits what was applied and closes the index. */
    void close() {
        synchronized (lock) {
            if (index == null) {
                return;
            }
            try {
                commit(clock.instant());
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "search index not committed on close ({}); it reads the changes since its last commit on start",
                        e.toString());
            }
            try {
                index.close();
            } catch (IOException | RuntimeException e) {
                log.warn("search index not closed cleanly: {}", e.toString());
            } finally {
                index = null;
                ahead = null;
                reader.shutdown();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
