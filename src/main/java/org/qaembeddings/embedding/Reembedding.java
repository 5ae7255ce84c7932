package org.qaembeddings.embedding;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.qaembeddings.cost.CallPurpose;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.provider.EmbeddingProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Re-embeds the pairs whose vectors another setting made, once the setting changed (the model, the
 * width, the template, the provider). A switch begins at start-up when vectors of another setting
 * are stored. {@link #pollOnce()} first counts the tokens they would send, with the provider's
 * tokenizer, and prices them: within {@code embedding.reembed.auto-approve-usd} the switch runs, else
 * it waits for {@link #approve}. Running, each step takes the next batch, oldest pair first. A step
 * runs after the worker has taken the new and edited pairs that are due, so those keep their
 * priority, and every call goes through the provider gate (budget, circuit, pause), billed as
 * {@link CallPurpose#REEMBED}.
 * A pair keeps its last vector until the new one is written, and the vector it replaces is kept
 * for {@code embedding.reembed.keep-previous} after the switch ends: a switch back to that setting
 * takes it back without a call. Vectors the current setting would make alike (written before
 * settings were recorded, by the same model and template) are adopted without a call too.
 */
@Component
public class Reembedding implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(Reembedding.class);
    /**
     * Once a lap has found nothing, the pass counts what is left (a scan of every row): first after
     * this, then twice as long after each count that finds rows still in the queue, up to {@link #MAX_END_CHECK}.
     */
    static final Duration END_CHECK = Duration.ofSeconds(1);

    static final Duration MAX_END_CHECK = Duration.ofSeconds(30);
    /** Pairs whose tokens one step of the estimate counts. */
    static final int ESTIMATE_PAGE = 1_000;

    /** How long a node keeps its reading of which setting answers searches. */
    static final Duration SERVING_TTL = Duration.ofSeconds(1);

    /** Which setting answers searches, as read at {@code readAt}. */
    private record Serving(EmbeddingSetting setting, Instant readAt) {}

    /** What one step took: the switch, how many pairs it looked at, and the rows it claimed to embed. */
    private record Step(long switchId, int examined, List<EmbeddingRepository.Claimed> claimed) {}

    private final SwitchRepository switches;
    private final EmbeddingRepository repository;
    private final EmbeddingWorker worker;
    private final EmbeddingProvider provider;
    private final CostService costs;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final EmbeddingProperties properties;
    private final EmbeddingText text;
    private volatile Instant nextEndCheck = Instant.MIN;
    private volatile Duration endCheck = END_CHECK;
    private volatile Serving serving;

    Reembedding(
            SwitchRepository switches,
            EmbeddingRepository repository,
            EmbeddingWorker worker,
            EmbeddingProvider provider,
            CostService costs,
            TransactionTemplate transactions,
            Clock clock,
            EmbeddingProperties properties) {
        this.switches = switches;
        this.repository = repository;
        this.worker = worker;
        this.provider = provider;
        this.costs = costs;
        this.transactions = transactions;
        this.clock = clock;
        this.properties = properties;
        this.text = new EmbeddingText(properties.textTemplate());
    }

    /** The setting this node embeds with. */
    public EmbeddingSetting setting() {
        return worker.setting();
    }

    /**
     * The setting whose vectors answer searches: until a switch to this node's setting is done,
     * the one it switches from (every pair still has a vector of it, its own or the one kept); then
     * this node's. Read from the database at most once per {@link #SERVING_TTL}.
     */
    public EmbeddingSetting serving() {
        Instant now = clock.instant();
        Serving read = serving;
        if (read != null && now.isBefore(read.readAt().plus(SERVING_TTL))) {
            return read.setting();
        }
        EmbeddingSetting to = setting();
        EmbeddingSetting answering = switches.latest(false)
                .filter(s -> s.to().equals(to.key()) && !s.state().over() && s.from() != null)
                .flatMap(s -> switches.find(s.from()))
                .orElse(to);
        serving = new Serving(answering, now);
        return answering;
    }

    /** Records this node's setting before its workers start, so that every vector's setting can be looked up. */
    @Override
    public void afterPropertiesSet() {
        register(setting(), clock.instant());
    }

    private void register(EmbeddingSetting setting, Instant now) {
        try {
            transactions.executeWithoutResult(tx -> switches.register(setting, now));
        } catch (DuplicateKeyException registeredByAnotherNode) {
            // the same setting, recorded by a node that started at the same moment
        }
    }

    @EventListener(ApplicationStartedEvent.class)
    public void begin() {
        begin(clock.instant());
    }

    /**
     * Records this node's setting and begins a switch to it unless the latest switch is to it
     * already. A switch to another setting that is not over is superseded: every node is to run
     * one setting.
     */
    void begin(Instant now) {
        EmbeddingSetting to = setting();
        register(to, now);
        transactions.executeWithoutResult(tx -> {
            Optional<SwitchRepository.Switch> latest = switches.latest(true);
            if (latest.isPresent() && latest.get().to().equals(to.key())) {
                return;
            }
            latest.filter(s -> !s.state().over()).ifPresent(s -> {
                switches.end(s.id(), SwitchRepository.State.SUPERSEDED, now);
                log.warn(
                        "the re-embed to setting {} is superseded by this node's "
                                + "setting {}: every node sharing a database"
                                + " must run one embedding setting",
                        s.to(),
                        to.key());
            });
            long others = switches.otherVectors(to.key(), properties.maxRetries());
            String from = latest.map(SwitchRepository.Switch::to)
                    .or(() -> switches.anotherSetting(to.key()))
                    .orElse(null);
            switches.begin(from, to.key(), others, now);
            if (others > 0) {
                log.info(
                        "embedding setting changed to {} ({} {} {}d): {} vectors of another setting are priced, then"
                                + " re-embedded in the background; each pair "
                                + "keeps its vector until the new one is written",
                        to.key(),
                        to.provider(),
                        to.model(),
                        to.dimensions(),
                        others);
            }
        });
        nextEndCheck = Instant.MIN;
        endCheck = END_CHECK;
        serving = null;
    }

    /**
     * One step of the pass: a page of the estimate, or the next batch of pairs with a vector of
     * another setting, oldest first; those the current setting would make alike are adopted, the
     * rest embedded.
     *
     * @return how many pairs were looked at; fewer than the batch size means the pass has nothing more now
     */
    public int pollOnce() {
        Instant now = clock.instant();
        boolean paused = worker.pausedReason(now).isPresent();
        Step step = transactions.execute(tx -> step(now, paused));
        if (step == null) {
            return 0;
        }
        if (!step.claimed().isEmpty()) {
            // a row that fails here, or is handed back, is finished by the queue, which gives it this setting too
            worker.process(step.claimed(), CallPurpose.REEMBED);
        }
        return step.examined();
    }

    /**
     * One step; while provider calls are {@code paused} (budget, circuit, outage) only what makes
     * none goes on: the estimate, and the check that ends a switch.
     */
    private Step step(Instant now, boolean paused) {
        EmbeddingSetting to = setting();
        SwitchRepository.Switch current =
                switches.latest(true).filter(s -> s.to().equals(to.key())).orElse(null);
        if (current == null) {
            return null;
        }
        if (current.state() == SwitchRepository.State.ESTIMATING) {
            return estimate(current, to, now);
        }
        if (current.state() == SwitchRepository.State.DONE) {
            return dropPrevious(current, now);
        }
        if (current.state() != SwitchRepository.State.RUNNING) {
            return null;
        }
        SwitchRepository.Window next = switches.next(current, properties.batchSize());
        if (next.examined() == 0) {
            lapEnded(current, now);
            return null;
        }
        if (paused) {
            return null;
        }
        List<UUID> alike = new ArrayList<>();
        List<UUID> kept = new ArrayList<>();
        List<UUID> toEmbed = new ArrayList<>();
        for (SwitchRepository.Candidate c : next.candidates()) {
            (madeAlike(c, to) ? alike : keptAlike(c, to) ? kept : toEmbed).add(c.id());
        }
        int adopted = switches.adopt(alike, to.key(), now) + switches.restorePrevious(kept, to, now);
        List<EmbeddingRepository.Claimed> claimed = toEmbed.isEmpty()
                ? List.of()
                : repository.claimForSetting(toEmbed, to.key(), now, now.plus(properties.lease()));
        // counted when taken, in this transaction: counting them once written would lock the switch again
        switches.advance(current.id(), next, adopted + claimed.size());
        return new Step(current.id(), next.examined(), claimed);
    }

    /**
     * Counts the tokens of the next page of pairs as the new setting would send them; after the
     * last page, prices them and starts the switch, or holds it for approval.
     */
    private Step estimate(SwitchRepository.Switch current, EmbeddingSetting to, Instant now) {
        SwitchRepository.Window page = switches.next(current, ESTIMATE_PAGE);
        long tokens = 0;
        for (SwitchRepository.Candidate c : page.candidates()) {
            if (!madeAlike(c, to) && !keptAlike(c, to)) {
                tokens += Math.min(
                        provider.countTokens(text.render(c.question(), c.answer())), provider.maxInputTokens());
            }
        }
        if (page.examined() == ESTIMATE_PAGE) {
            switches.estimate(current.id(), page, tokens);
            return new Step(current.id(), page.examined(), List.of());
        }
        long total = current.tokens() + tokens;
        BigDecimal cost = costs.costOf(to.model(), total);
        boolean auto = cost.compareTo(properties.reembed().autoApproveUsd()) <= 0;
        switches.estimated(
                current.id(),
                total,
                cost,
                auto ? SwitchRepository.State.RUNNING : SwitchRepository.State.AWAITING_APPROVAL,
                now);
        if (auto) {
            log.info(
                    "re-embed to setting {}: {} pairs, {} tokens, estimated {} USD: started",
                    to.key(),
                    current.pairs(),
                    total,
                    cost.stripTrailingZeros().toPlainString());
        } else {
            log.warn(
                    "re-embed to setting {}: {} pairs, {} tokens, estimated {} "
                            + "USD, above embedding.reembed.auto-approve-usd"
                            + " ({}): waiting for POST /api/embeddings/reembed (admin key)",
                    to.key(),
                    current.pairs(),
                    total,
                    cost.stripTrailingZeros().toPlainString(),
                    properties.reembed().autoApproveUsd());
        }
        return new Step(current.id(), page.examined(), List.of());
    }

    /**
     * Starts a switch that waits for approval.
     *
     * @return false when no switch to this node's setting waits for approval or runs
     */
    boolean approve() {
        Instant now = clock.instant();
        Boolean approved = transactions.execute(tx -> {
            SwitchRepository.Switch current = switches.latest(true)
                    .filter(s -> s.to().equals(setting().key()))
                    .orElse(null);
            if (current == null) {
                return false;
            }
            if (current.state() == SwitchRepository.State.AWAITING_APPROVAL) {
                switches.approve(current.id(), now);
                log.info(
                        "re-embed to setting {} approved: estimated {} USD",
                        current.to(),
                        current.estimatedCostUsd().stripTrailingZeros().toPlainString());
                return true;
            }
            return current.state() == SwitchRepository.State.RUNNING;
        });
        return Boolean.TRUE.equals(approved);
    }

    /**
     * Whether a vector that recorded no setting is what {@code to} would make: the same model and
     * width, and made from the text {@code to}'s template renders (its hash says so).
     */
    private boolean madeAlike(SwitchRepository.Candidate c, EmbeddingSetting to) {
        return c.setting() == null
                && to.model().equals(c.model())
                && (to.dimensions() == 0 || to.dimensions() == c.dimensions())
                && text.hash(c.question(), c.answer()).equals(c.vectorTextHash());
    }

    /** Whether the vector kept from before the last switch is of {@code to} and of the pair's current text. */
    private boolean keptAlike(SwitchRepository.Candidate c, EmbeddingSetting to) {
        return to.key().equals(c.previousSetting())
                && text.hash(c.question(), c.answer()).equals(c.previousTextHash());
    }

    /**
     * Once {@code embedding.reembed.keep-previous} has passed since the switch ended, drops a page
     * of the vectors kept from the setting before.
     */
    private Step dropPrevious(SwitchRepository.Switch done, Instant now) {
        if (done.previousDroppedAt() != null
                || done.finishedAt() == null
                || now.isBefore(done.finishedAt().plus(properties.reembed().keepPrevious()))) {
            return null;
        }
        int dropped = switches.dropPrevious(ESTIMATE_PAGE, now);
        if (dropped < ESTIMATE_PAGE) {
            switches.previousDropped(done.id(), now);
            log.info(
                    "vectors of the embedding setting before {} dropped: "
                            + "embedding.reembed.keep-previous ({}) has passed"
                            + " since the switch ended",
                    done.to(),
                    properties.reembed().keepPrevious());
        }
        return new Step(done.id(), dropped, List.of());
    }

    /**
     * The walk found no more pairs. Vectors of another setting may still be left: in the queue (an
     * edit, a hand-back; the worker gives them this setting), or written behind the cursor by a node
     * with another setting (another lap takes them). None left, the switch is done.
     */
    private void lapEnded(SwitchRepository.Switch current, Instant now) {
        if (now.isBefore(nextEndCheck)) {
            return;
        }
        nextEndCheck = now.plus(endCheck);
        Duration doubled = endCheck.multipliedBy(2);
        endCheck = doubled.compareTo(MAX_END_CHECK) > 0 ? MAX_END_CHECK : doubled;
        long left = switches.otherVectors(current.to(), properties.maxRetries());
        if (left == 0) {
            switches.end(current.id(), SwitchRepository.State.DONE, now);
            serving = null; // this node's searches turn to the new setting at once, the others' within SERVING_TTL
            log.info(
                    "re-embed to setting {} done: {} pairs in {}",
                    current.to(),
                    current.pairs(),
                    Duration.between(current.startedAt(), now));
        } else if (current.cursorId() != null && switches.otherCompleted(current.to()) > 0) {
            switches.advance(current.id(), null, 0);
        }
    }

    /** Where the latest switch stands, for the API, health and metrics. */
    public ReembedProgress progress() {
        Instant now = clock.instant();
        return switches.latest(false)
                .map(s -> {
                    long done = Math.min(s.done(), s.pairs());
                    Long eta = null;
                    if (s.state() == SwitchRepository.State.RUNNING && done > 0 && s.approvedAt() != null) {
                        long elapsed = Math.max(
                                1, Duration.between(s.approvedAt(), now).toMillis());
                        eta = (s.pairs() - done) * elapsed / done / 1000;
                    }
                    return new ReembedProgress(
                            s.from() == null ? null : switches.find(s.from()).orElse(null),
                            switches.find(s.to()).orElse(null),
                            s.state().name(),
                            s.pairs(),
                            done,
                            s.tokens(),
                            s.estimatedCostUsd(),
                            costs.spent(CallPurpose.REEMBED, s.startedAt()),
                            eta,
                            s.startedAt(),
                            s.approvedAt(),
                            s.finishedAt());
                })
                .orElse(new ReembedProgress(
                        null, setting(), "NONE", 0, 0, 0, null, BigDecimal.ZERO, null, null, null, null));
    }
}
