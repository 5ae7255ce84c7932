package org.qaembeddings.embedding;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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
import org.qaembeddings.cost.CallPurpose;
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

    /** A claimed row, ready to send. */
    private record Item(UUID id, String text, String hash, int attempts, int tokens, long claim) {}

    /** Counts and messages of one batch, and what its calls are billed as. */
    private static final class Tally {
        final CallPurpose purpose;
        int successful;
        int failed;
        final List<String> errors = new ArrayList<>();

        Tally(CallPurpose purpose) {
            this.purpose = purpose;
        }

        Tally() {
            this(CallPurpose.DOCUMENT);
        }

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

    /** Rows whose own call failed uncharged, remembered at most this many. */
    private static final int MAX_REMEMBERED = 100_000;

    private final EmbeddingRepository repository;
    private final ProviderGate gate;
    private final EmbeddingProvider provider;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final EmbeddingText text;
    private final EmbeddingSetting setting;
    private final EmbeddingProperties properties;
    private final Backoff backoff;
    private final DoubleSupplier jitter;
    /**
     * For each row whose own call failed in a way that may be the provider's (it seemed down, or
     * it rejected the request as it rejected others) and was handed back uncharged: how many calls
     * the provider had answered then. Once it has answered another since, the provider is up and
     * accepts requests, and a new failure of that row points at the row.
     */
    private final Map<UUID, Long> failedUncharged = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
            return size() > MAX_REMEMBERED;
        }
    });
    /** Why the last poll failed (the class of what it threw, and since when); null while polls succeed. */
    private volatile String failure;

    @Autowired
    EmbeddingWorker(
            EmbeddingRepository repository,
            ProviderGate gate,
            EmbeddingProvider provider,
            TransactionTemplate transactions,
            Clock clock,
            EmbeddingProperties properties) {
        this(
                repository,
                gate,
                provider,
                transactions,
                clock,
                properties,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    EmbeddingWorker(
            EmbeddingRepository repository,
            ProviderGate gate,
            EmbeddingProvider provider,
            TransactionTemplate transactions,
            Clock clock,
            EmbeddingProperties properties,
            DoubleSupplier jitter) {
        this.repository = repository;
        this.gate = gate;
        this.provider = provider;
        this.transactions = transactions;
        this.clock = clock;
        this.text = new EmbeddingText(properties.textTemplate());
        this.setting = EmbeddingSetting.of(provider, properties.textTemplate());
        this.properties = properties;
        this.backoff = properties.backoff();
        this.jitter = jitter;
    }

    /** The provider circuit of this node: CLOSED, OPEN or HALF_OPEN. */
    String circuitState() {
        return gate.circuitState();
    }

    /** Why no provider call may be made at {@code now}: a pause, an open circuit, or a spent budget. */
    public Optional<String> pausedReason(Instant now) {
        return gate.pausedReason(now);
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
        List<EmbeddingRepository.Claimed> claimed = transactions.execute(tx -> repository.claimDue(
                now, now.plus(properties.lease()), properties.batchSize(), properties.maxRetries()));
        if (claimed != null && !claimed.isEmpty()) {
            process(claimed, CallPurpose.DOCUMENT);
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
        List<EmbeddingRepository.Claimed> claimed = toEmbed.isEmpty()
                ? List.of()
                : transactions.execute(tx -> repository.claimIds(toEmbed, now, now.plus(properties.lease())));
        Set<UUID> claimedIds =
                claimed.stream().map(EmbeddingRepository.Claimed::id).collect(Collectors.toSet());
        toEmbed.stream()
                .filter(id -> !claimedIds.contains(id))
                .forEach(id -> tally.failed(id, "another worker is embedding it right now; try again shortly"));
        process(claimed, tally);
        return tally.result();
    }

    /**
     * Retries failed rows (transient or permanent) that have fewer than {@code maxRetries} attempts
     * and are past their backoff.
     */
    BatchResult retryFailed(int maxRetries) {
        Instant now = clock.instant();
        Optional<String> paused = pausedReason(now);
        if (paused.isPresent()) {
            return new BatchResult(0, 0, List.of("nothing retried: " + paused.get()));
        }
        List<EmbeddingRepository.Claimed> claimed = transactions.execute(
                tx -> repository.claimFailed(now, now.plus(properties.lease()), properties.batchSize(), maxRetries));
        return process(claimed, CallPurpose.DOCUMENT);
    }

    /** The setting this worker's vectors are made with. */
    EmbeddingSetting setting() {
        return setting;
    }

    /** Embeds rows claimed elsewhere with this worker's machinery, its calls billed as {@code purpose}. */
    BatchResult process(List<EmbeddingRepository.Claimed> claimed, CallPurpose purpose) {
        Tally tally = new Tally(purpose);
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
            items.add(new Item(row.id(), t, EmbeddingText.hash(t), row.attempts(), tokens, row.claim()));
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
            List<Item> left = requests.subList(sent, requests.size()).stream()
                    .flatMap(List::stream)
                    .toList();
            handBackAfterFailure(left, e);
            throw e;
        }
    }

    private void handBackAfterFailure(List<Item> items, Throwable cause) {
        try {
            handBack(
                    items,
                    "not sent: the worker failed (" + cause.getClass().getSimpleName() + "); it is queued again",
                    clock.instant(),
                    new Tally());
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
     * One provider call for {@code items}, through the gate. When the provider rejects the inputs
     * of several items, one of them may be at fault: the call is split in halves, recursively, so
     * that every good item is saved and every bad one fails with its own reason.
     */
    private void embed(List<Item> items, Tally tally) {
        handle(items, gate.call(texts(items), suspected(items), tally.purpose), tally);
    }

    private static List<String> texts(List<Item> items) {
        return items.stream().map(Item::text).toList();
    }

    /** What the outcome of the call for {@code items} does to them. */
    private void handle(List<Item> items, ProviderGate.Outcome outcome, Tally tally) {
        if (outcome instanceof ProviderGate.Answered answered) {
            items.forEach(i -> failedUncharged.remove(i.id()));
            write(items, answered.result(), tally);
        } else if (outcome instanceof ProviderGate.NotSent notSent) {
            handBack(items, "not sent: " + notSent.reason(), notSent.retryAt(), tally);
        } else if (outcome instanceof ProviderGate.Interrupted) {
            handBackOnShutdown(items, tally);
        } else {
            onFailure(items, (ProviderGate.Failed) outcome, tally);
        }
    }

    private void write(List<Item> items, ProviderResult result, Tally tally) {
        List<EmbeddingRepository.Completion> completions = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            completions.add(new EmbeddingRepository.Completion(
                    items.get(i).id(),
                    items.get(i).hash(),
                    items.get(i).claim(),
                    result.vectors().get(i)));
        }
        // the write time, not the claim time: the call may have taken seconds
        boolean[] written = transactions.execute(tx -> repository.complete(completions, setting, clock.instant()));
        for (int i = 0; i < items.size(); i++) {
            if (written[i]) {
                tally.successful++;
            } else {
                tally.failed(
                        items.get(i).id(),
                        "not written: its text changed while it was being embedded (it is queued again), "
                                + "or its lease ran out and another worker claimed it");
            }
        }
    }

    /**
     * Whether every item already failed once, uncharged, as if the provider were down, and the
     * provider has answered another call since: then it is up, and a new failure points at them.
     */
    private boolean suspected(List<Item> items) {
        long answered = gate.answeredCalls();
        for (Item item : items) {
            Long then = failedUncharged.get(item.id());
            if (then == null || then >= answered) {
                return false;
            }
        }
        return true;
    }

    private void onFailure(List<Item> items, ProviderGate.Failed failed, Tally tally) {
        ProviderException e = failed.error();
        if (failed.pausedTheNode()) {
            // the provider's condition (down, rate limiting, refusing every request), not the rows':
            // they go back uncharged, to be sent when the pause ends
            if (e.reason() == ProviderException.Reason.UNAVAILABLE) {
                remember(items);
            }
            handBack(items, truncate(e.getMessage()), failed.retryAt(), tally);
            return;
        }
        if (rowsOrProvider(e)) {
            onRowsOrProvider(items, e, false, tally);
        } else if (e.reason() == ProviderException.Reason.UNAVAILABLE && items.size() > 1) {
            // the provider answers others but not this call: one of its rows may be what breaks it
            halves(items).forEach(half -> embed(half, tally));
        } else {
            charge(items, e, tally);
        }
    }

    /**
     * Whether a failure may be the rows' or the provider's alike: the inputs refused (one of
     * them, or the request itself, as a model that takes no {@code dimensions}), or an answer
     * with no usable vectors (a text that garbles its batch, or a provider garbling everything).
     */
    private static boolean rowsOrProvider(ProviderException e) {
        return e.inputRejected() || e.reason() == ProviderException.Reason.BAD_ANSWER;
    }

    /**
     * The call failed in a way that may point at its rows or at the provider. Unless the rows are
     * known to be at fault (the provider answered another call since they failed), it is sent
     * again in up to four parts; when every part fails alike, one call of {@link ProviderGate#PROBE_TEXT}
     * decides: answered, the rows are at fault; failed alike, the provider fails every request,
     * and the node pauses charging no row. Once the rows are known to be at fault, halving
     * isolates each bad one, and the good ones are saved.
     */
    private void onRowsOrProvider(List<Item> items, ProviderException e, boolean rowsAtFault, Tally tally) {
        if (rowsAtFault || suspected(items)) {
            if (items.size() == 1) {
                charge(items, e, tally);
                return;
            }
            for (List<Item> half : halves(items)) {
                dispatch(half, gate.call(texts(half), false, tally.purpose), true, tally);
            }
            return;
        }
        if (gate.stillFailsAlike(e)) {
            pauseForEveryRequest(items, e, tally);
            return;
        }
        List<List<Item>> parts = parts(items, Math.min(4, items.size()));
        List<ProviderGate.Outcome> outcomes = new ArrayList<>();
        if (items.size() == 1) {
            outcomes.add(new ProviderGate.Failed(e, null)); // a part of one is the call just made
        }
        boolean answered = false;
        while (outcomes.size() < parts.size()) {
            ProviderGate.Outcome outcome = gate.call(texts(parts.get(outcomes.size())), false, tally.purpose);
            outcomes.add(outcome);
            if (!failedAlike(outcome, e)) {
                answered = outcome instanceof ProviderGate.Answered;
                break;
            }
        }
        if (outcomes.size() == parts.size() && failedAlike(outcomes.get(outcomes.size() - 1), e)) {
            ProviderGate.Outcome probe = gate.probe();
            if (failedAlike(probe, e)) {
                pauseForEveryRequest(items, e, tally);
                return;
            }
            answered = probe instanceof ProviderGate.Answered;
        }
        for (int i = 0; i < parts.size(); i++) {
            List<Item> part = parts.get(i);
            if (i < outcomes.size()) {
                if (!answered && failedAlike(outcomes.get(i), e)) {
                    // the check ended on a pause or an outage: nothing is proven against these rows
                    remember(part);
                    handBack(part, truncate(e.getMessage()), gate.pausedUntil(clock.instant()), tally);
                } else {
                    dispatch(part, outcomes.get(i), answered, tally);
                }
            } else if (answered) {
                dispatch(part, gate.call(texts(part), false, tally.purpose), true, tally);
            } else {
                handBack(
                        part,
                        "not sent: the provider stopped answering while the batch was being checked",
                        gate.pausedUntil(clock.instant()),
                        tally);
            }
        }
    }

    private void dispatch(List<Item> items, ProviderGate.Outcome outcome, boolean rowsAtFault, Tally tally) {
        if (outcome instanceof ProviderGate.Failed failed
                && !failed.pausedTheNode()
                && rowsOrProvider(failed.error())) {
            onRowsOrProvider(items, failed.error(), rowsAtFault, tally);
        } else {
            handle(items, outcome, tally);
        }
    }

    private void pauseForEveryRequest(List<Item> items, ProviderException e, Tally tally) {
        Instant until = gate.failsEveryRequest(e, clock.instant());
        remember(items);
        String what =
                e.inputRejected() ? "rejects every request alike" : "answers every request with no usable vectors";
        handBack(items, "not sent: the provider " + what + ": " + truncate(e.getMessage()), until, tally);
    }

    /** Fails the rows, charging the attempt their claim took: the failure points at them. */
    private void charge(List<Item> items, ProviderException e, Tally tally) {
        String message = truncate(e.getMessage());
        items.forEach(i -> failedUncharged.remove(i.id()));
        Instant now = clock.instant();
        List<EmbeddingRepository.Outcome> outcomes = items.stream()
                .map(i -> new EmbeddingRepository.Outcome(
                        i.id(),
                        i.claim(),
                        message,
                        ErrorKind.of(e.kind()),
                        now.plus(backoff.delay(i.attempts(), jitter.getAsDouble()))))
                .toList();
        int failedRows = transactions.execute(tx -> repository.fail(outcomes, clock.instant()));
        tally.failed(items, message);
        log.warn("embedding of {} pairs failed ({}): {}", failedRows, e.reason(), message);
    }

    private void remember(List<Item> items) {
        long answered = gate.answeredCalls();
        items.forEach(i -> failedUncharged.put(i.id(), answered));
    }

    private static List<List<Item>> halves(List<Item> items) {
        return parts(items, 2);
    }

    /** {@code items} cut into {@code n} consecutive parts of near equal size. */
    private static List<List<Item>> parts(List<Item> items, int n) {
        List<List<Item>> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            parts.add(items.subList(i * items.size() / n, (i + 1) * items.size() / n));
        }
        return parts;
    }

    private static boolean failedAlike(ProviderGate.Outcome outcome, ProviderException first) {
        return outcome instanceof ProviderGate.Failed failed
                && !failed.pausedTheNode()
                && ProviderGate.alike(failed.error(), first);
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
                .map(i -> new EmbeddingRepository.Outcome(i.id(), i.claim(), truncate(reason), null, nextAttemptAt))
                .toList();
        transactions.executeWithoutResult(tx -> repository.release(outcomes, clock.instant()));
        tally.failed(items, reason);
    }

    private static String truncate(String error) {
        String message = error == null ? "provider failed" : error;
        return message.length() > MAX_ERROR_LENGTH ? message.substring(0, MAX_ERROR_LENGTH) : message;
    }
}
