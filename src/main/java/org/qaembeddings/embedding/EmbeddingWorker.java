package org.qaembeddings.embedding;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.qaembeddings.cost.CostService;
import org.qaembeddings.provider.EmbeddingProvider;
import org.qaembeddings.provider.ProviderException;
import org.qaembeddings.provider.ProviderResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Claims rows, calls the provider once per batch, writes back the vectors whose text is still
 * current. {@link #pollOnce()} is one step of the background loop; {@link #generate} and
 * {@link #retryFailed} are the same machinery for named rows and for failed rows, on demand.
 * No state is kept between calls but the provider's "wait until" after a rate limit, so several
 * workers (threads, or nodes on one PostgreSQL) can run side by side.
 */
@Component
public class EmbeddingWorker {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingWorker.class);
    private static final int MAX_ERROR_LENGTH = 1000;
    static final String CIRCUIT_OPEN = "provider circuit open: most recent calls failed, so one probe call goes out at a time";

    /** A claimed row, ready to send. */
    private record Item(UUID id, String text, String hash, int attempts, int tokens) {
    }

    /** Counts and messages of one batch. */
    private static final class Tally {
        int successful;
        int failed;
        final List<String> errors = new ArrayList<>();

        void failed(UUID id, String reason) {
            failed++;
            errors.add(id + ": " + reason);
        }

        void failed(List<Item> items, String reason) {
            items.forEach(i -> failed(i.id(), reason));
        }

        BatchResult result() {
            return new BatchResult(successful, failed, errors);
        }
    }

    private final EmbeddingRepository repository;
    private final EmbeddingProvider provider;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final CostService costs;
    private final MeterRegistry meters;
    private final EmbeddingText text;
    private final EmbeddingProperties properties;
    private final Backoff backoff;
    private final DoubleSupplier jitter;
    private final ProviderCircuit circuit;
    private volatile Instant rateLimitedUntil = Instant.MIN;
    /** Why the last poll failed (the class of what it threw, and since when); null while polls succeed. */
    private volatile String failure;

    @Autowired
    EmbeddingWorker(EmbeddingRepository repository, EmbeddingProvider provider, TransactionTemplate transactions,
            Clock clock, CostService costs, MeterRegistry meters, EmbeddingProperties properties) {
        this(repository, provider, transactions, clock, costs, meters, properties,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    EmbeddingWorker(EmbeddingRepository repository, EmbeddingProvider provider, TransactionTemplate transactions,
            Clock clock, CostService costs, MeterRegistry meters, EmbeddingProperties properties, DoubleSupplier jitter) {
        this.repository = repository;
        this.provider = provider;
        this.transactions = transactions;
        this.clock = clock;
        this.costs = costs;
        this.meters = meters;
        this.text = new EmbeddingText(properties.textTemplate());
        this.properties = properties;
        this.backoff = properties.backoff();
        this.jitter = jitter;
        this.circuit = new ProviderCircuit(properties.circuit(), clock);
        meters.gauge("embedding.provider.circuit.open", circuit, c -> switch (c.state()) {
            case CLOSED, DISABLED, METRICS_ONLY -> 0;
            case HALF_OPEN -> 0.5;
            default -> 1;
        });
    }

    /** Why no provider call may be made at {@code now}: a rate limit still running, an open circuit, or a spent budget. */
    public Optional<String> pausedReason(Instant now) {
        Instant until = rateLimitedUntil;
        if (now.isBefore(until)) {
            return Optional.of("provider rate limit: no calls before " + until);
        }
        if (!circuit.permitsCalls()) {
            return Optional.of(CIRCUIT_OPEN);
        }
        return costs.budgetExhausted(now);
    }

    /** Why this node's worker cannot embed right now: its polls end in a failure. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** Notes a poll that threw; true when it is the first of a run of failures (or another kind of failure). */
    boolean failed(Throwable thrown) {
        String previous = failure;
        String kind = thrown.getClass().getSimpleName();
        if (previous != null && previous.startsWith("embedding worker failing: " + kind + " ")) {
            return false;
        }
        failure = "embedding worker failing: " + kind + " since " + clock.instant()
                + "; its rows are handed back and it polls again";
        return true;
    }

    /** Notes a poll that succeeded; true when it ends a run of failures. */
    boolean recovered() {
        boolean was = failure != null;
        failure = null;
        return was;
    }

    /**
     * One step of the background loop: at most one batch of due rows (new, retryable, or left by a
     * dead worker), unless provider calls are paused.
     *
     * @return how many rows were claimed; fewer than the batch size means no more work is due
     */
    public int pollOnce() {
        Instant now = clock.instant();
        if (pausedReason(now).isPresent()) {
            return 0;
        }
        List<EmbeddingRepository.Claimed> claimed = transactions.execute(tx ->
                repository.claimDue(now, now.plus(properties.lease()), properties.batchSize(), properties.maxRetries()));
        if (claimed != null && !claimed.isEmpty()) {
            process(claimed);
            return claimed.size();
        }
        return 0;
    }

    /**
     * Embeds the named pairs now. Pairs already embedded for their current text count as
     * successful without a call; unknown ids and pairs another worker holds are reported.
     */
    BatchResult generate(List<UUID> requested) {
        Set<UUID> ids = new LinkedHashSet<>(requested);
        Tally tally = new Tally();
        if (ids.isEmpty()) {
            return tally.result();
        }
        Instant now = clock.instant();
        Map<UUID, EmbeddingRepository.State> states = repository.states(ids).stream()
                .collect(Collectors.toMap(EmbeddingRepository.State::id, Function.identity()));
        List<UUID> toEmbed = new ArrayList<>();
        for (UUID id : ids) {
            EmbeddingRepository.State state = states.get(id);
            if (state == null) {
                tally.failed(id, "no QA pair with this id");
            } else if (state.status() == EmbeddingStatus.COMPLETED) {
                tally.successful++;
            } else {
                toEmbed.add(id);
            }
        }
        Optional<String> paused = pausedReason(now);
        if (paused.isPresent()) {
            toEmbed.forEach(id -> tally.failed(id, "not sent: " + paused.get()));
            return tally.result();
        }
        List<EmbeddingRepository.Claimed> claimed = toEmbed.isEmpty() ? List.of()
                : transactions.execute(tx -> repository.claimIds(toEmbed, now, now.plus(properties.lease())));
        Set<UUID> claimedIds = claimed.stream().map(EmbeddingRepository.Claimed::id).collect(Collectors.toSet());
        toEmbed.stream().filter(id -> !claimedIds.contains(id))
                .forEach(id -> tally.failed(id, "another worker is embedding it right now; try again shortly"));
        process(claimed, tally);
        return tally.result();
    }

    /** Retries failed rows (transient or permanent) that have fewer than {@code maxRetries} attempts and are past their backoff. */
    BatchResult retryFailed(int maxRetries) {
        Instant now = clock.instant();
        Optional<String> paused = pausedReason(now);
        if (paused.isPresent()) {
            return new BatchResult(0, 0, List.of("nothing retried: " + paused.get()));
        }
        List<EmbeddingRepository.Claimed> claimed = transactions.execute(tx ->
                repository.claimFailed(now, now.plus(properties.lease()), properties.batchSize(), maxRetries));
        return process(claimed);
    }

    private BatchResult process(List<EmbeddingRepository.Claimed> claimed) {
        Tally tally = new Tally();
        process(claimed, tally);
        return tally.result();
    }

    private void process(List<EmbeddingRepository.Claimed> claimed, Tally tally) {
        List<String> rendered = new ArrayList<>(claimed.size());
        long bound = 0;
        for (EmbeddingRepository.Claimed row : claimed) {
            String t = text.render(row.question(), row.answer());
            rendered.add(t);
            if (provider.maxRequestTokens() < Integer.MAX_VALUE) {
                bound += Math.min(provider.maxTokensOf(t), provider.maxInputTokens());
            }
        }
        // tokens are counted exactly only when their cheap upper bound does not fit one request
        boolean count = bound > provider.maxRequestTokens();
        List<Item> items = new ArrayList<>(claimed.size());
        for (int i = 0; i < claimed.size(); i++) {
            EmbeddingRepository.Claimed row = claimed.get(i);
            String t = rendered.get(i);
            int tokens = count ? Math.min(provider.countTokens(t), provider.maxInputTokens()) : 0;
            items.add(new Item(row.id(), t, EmbeddingText.hash(t), row.attempts(), tokens));
        }
        List<List<Item>> requests = byTokenBudget(items, provider.maxRequestTokens());
        int sent = 0;
        try {
            for (List<Item> request : requests) {
                embed(request, tally);
                sent++;
            }
        } catch (RuntimeException | Error e) {
            // nothing may be left PROCESSING until its lease runs out: the rows of this request and
            // the next go back (rows already written or failed are no longer PROCESSING and stay)
            List<Item> left = requests.subList(sent, requests.size()).stream().flatMap(List::stream).toList();
            handBackAfterFailure(left, e);
            throw e;
        }
    }

    private void handBackAfterFailure(List<Item> items, Throwable cause) {
        try {
            handBack(items, "not sent: the worker failed (" + cause.getClass().getSimpleName() + "); it is queued again",
                    clock.instant(), new Tally());
        } catch (RuntimeException | Error again) {
            cause.addSuppressed(again); // the lease hands them back instead
        }
    }

    /** Consecutive runs of items whose tokens together fit one request. */
    private static List<List<Item>> byTokenBudget(List<Item> items, int maxRequestTokens) {
        List<List<Item>> requests = new ArrayList<>();
        List<Item> current = new ArrayList<>();
        long tokens = 0;
        for (Item item : items) {
            if (!current.isEmpty() && tokens + item.tokens() > maxRequestTokens) {
                requests.add(current);
                current = new ArrayList<>();
                tokens = 0;
            }
            current.add(item);
            tokens += item.tokens();
        }
        if (!current.isEmpty()) {
            requests.add(current);
        }
        return requests;
    }

    /**
     * One provider call for {@code items}. When the provider rejects the inputs of several items,
     * one of them may be at fault: the call is split in halves, recursively, so that every good
     * item is saved and every bad one fails with its own reason.
     */
    private void embed(List<Item> items, Tally tally) {
        Instant now = clock.instant();
        Optional<String> paused = pausedReason(now);
        if (paused.isPresent()) {
            handBack(items, "not sent: " + paused.get(), now.isBefore(rateLimitedUntil) ? rateLimitedUntil : now, tally);
            return;
        }
        if (!circuit.tryAcquire()) {
            // another thread took the one probe of a half-open circuit
            handBack(items, "not sent: " + CIRCUIT_OPEN, now, tally);
            return;
        }
        ProviderResult result;
        Timer.Sample call = Timer.start(meters);
        long started = System.nanoTime();
        try {
            result = provider.embed(items.stream().map(Item::text).toList());
            checkShape(result, items.size());
            call.stop(timer("success"));
            circuit.succeeded(System.nanoTime() - started);
        } catch (ProviderException e) {
            call.stop(timer(e.kind().name().toLowerCase(java.util.Locale.ROOT)));
            if (Thread.currentThread().isInterrupted()) {
                circuit.release();
                handBackOnShutdown(items, tally);
                return;
            }
            circuit.failed(System.nanoTime() - started, e);
            onFailure(items, e, now, tally);
            return;
        } catch (RuntimeException e) {
            call.stop(timer("error"));
            log.error("embedding provider failed unexpectedly", e);
            ProviderException wrapped = new ProviderException(ProviderException.Kind.TRANSIENT,
                    "unexpected provider error: " + e.getClass().getSimpleName());
            circuit.failed(System.nanoTime() - started, wrapped);
            onFailure(items, wrapped, now, tally);
            return;
        }
        if (result.promptTokens() > 0) {
            // priced by the model asked for: OpenAI answers "text-embedding-ada-002-v2" for
            // "text-embedding-ada-002", and a rate looked up by that name would bill nothing
            costs.record(provider.model(), answeredModel(result), result.promptTokens(), items.size(), clock.instant());
        }
        List<EmbeddingRepository.Completion> completions = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            completions.add(new EmbeddingRepository.Completion(items.get(i).id(), items.get(i).hash(),
                    result.vectors().get(i)));
        }
        // the write time, not the claim time: the call may have taken seconds
        boolean[] written = transactions.execute(tx -> repository.complete(completions, provider.model(), clock.instant()));
        for (int i = 0; i < items.size(); i++) {
            if (written[i]) {
                tally.successful++;
            } else {
                tally.failed(items.get(i).id(), "not written: its text changed while it was being embedded (it is queued again), or its lease ran out");
            }
        }
    }

    private void onFailure(List<Item> items, ProviderException e, Instant now, Tally tally) {
        String message = truncate(e.getMessage());
        if (e.kind() == ProviderException.Kind.PERMANENT && e.inputRejected() && items.size() > 1) {
            int half = items.size() / 2;
            embed(items.subList(0, half), tally);
            embed(items.subList(half, items.size()), tally);
            return;
        }
        if (e.retryAfter() != null) {
            // the provider said when to come back: nobody calls before then, and no attempt is lost;
            // "Retry-After: 0" still waits the base delay, or a loop of 429s would hammer it, and no
            // answer may pause the node for longer than the longest backoff
            Duration wait = e.retryAfter().compareTo(backoff.base()) < 0 ? backoff.base()
                    : e.retryAfter().compareTo(backoff.max()) > 0 ? backoff.max() : e.retryAfter();
            Instant until = now.plus(wait);
            if (until.isAfter(rateLimitedUntil)) {
                rateLimitedUntil = until;
            }
            handBack(items, message, until, tally);
            return;
        }
        List<EmbeddingRepository.Outcome> outcomes = items.stream()
                .map(i -> new EmbeddingRepository.Outcome(i.id(), i.hash(), message, e.kind(),
                        now.plus(backoff.delay(i.attempts(), jitter.getAsDouble()))))
                .toList();
        int failed = transactions.execute(tx -> repository.fail(outcomes, clock.instant()));
        tally.failed(items, message);
        log.warn("embedding of {} pairs failed ({}): {}", failed, e.kind(), message);
    }

    /**
     * The node is shutting down and stopped the call: the rows go back to PENDING at once, without
     * charging an attempt, rather than waiting out their lease. The interrupt is set aside for
     * the write, which the pool would refuse, and then restored.
     */
    private void handBackOnShutdown(List<Item> items, Tally tally) {
        boolean interrupted = Thread.interrupted();
        try {
            handBack(items, "not sent: this node shut down during the call", clock.instant(), tally);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Returns rows to PENDING without charging the attempt, and reports them not done for {@code reason}. */
    private void handBack(List<Item> items, String reason, Instant nextAttemptAt, Tally tally) {
        List<EmbeddingRepository.Outcome> outcomes = items.stream()
                .map(i -> new EmbeddingRepository.Outcome(i.id(), i.hash(), truncate(reason), null, nextAttemptAt))
                .toList();
        transactions.executeWithoutResult(tx -> repository.release(outcomes, clock.instant()));
        tally.failed(items, reason);
    }

    /** The model the answer named, when it is not the one asked for; else null. */
    private String answeredModel(ProviderResult result) {
        return result.model() == null || result.model().equals(provider.model()) ? null : result.model();
    }

    private Timer timer(String outcome) {
        return Timer.builder("embedding.provider.calls")
                .description("provider calls by outcome")
                .tag("model", provider.model())
                .tag("outcome", outcome)
                .register(meters);
    }

    private void checkShape(ProviderResult result, int expected) {
        if (result.vectors().size() != expected) {
            throw new ProviderException(ProviderException.Kind.TRANSIENT,
                    "provider returned " + result.vectors().size() + " vectors for " + expected + " texts");
        }
        int dimensions = provider.dimensions();
        for (float[] vector : result.vectors()) {
            if (vector.length == 0 || (dimensions != 0 && vector.length != dimensions)) {
                throw new ProviderException(ProviderException.Kind.PERMANENT,
                        "provider returned a vector of " + vector.length + " dimensions, expected " + dimensions);
            }
        }
    }

    private static String truncate(String error) {
        String message = error == null ? "provider failed" : error;
        return message.length() > MAX_ERROR_LENGTH ? message.substring(0, MAX_ERROR_LENGTH) : message;
    }

}
