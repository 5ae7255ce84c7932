package org.qaembeddings.embedding;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.qaembeddings.cost.CallPurpose;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.provider.EmbeddingProvider;
import org.qaembeddings.provider.ProviderException;
import org.qaembeddings.provider.ProviderResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The one way to the provider: every call, whoever makes it (the worker, batch, retry, and search
 * queries), passes the same checks and leaves the same traces. Before a call: the node's pause (a
 * rate limit, an outage, a configuration error), the circuit and the budget. After it: the call's
 * timer, the circuit's record, the bill (priced by the model asked for), and the pause the outcome
 * calls for. A failure that says the provider as a whole cannot serve pauses the node, on a backoff
 * that grows with each such failure in a row, so an outage of any length costs a few calls a
 * minute, however many rows wait; the rows are the caller's to hand back, uncharged.
 */
@Component
public class ProviderGate {

    private static final Logger log = LoggerFactory.getLogger(ProviderGate.class);
    static final String CIRCUIT_OPEN =
            "provider circuit open: most recent calls failed, so one probe call goes out at a time";
    /**
     * The text of the call that tells a failure of the rows from one of the provider: a short
     * plain sentence every embedding model accepts. Answered, the provider serves requests and
     * the rows are at fault; failed alike, the provider fails every request.
     */
    static final String PROBE_TEXT = "Is the embedding provider answering?";

    /** What became of one call. */
    public sealed interface Outcome {}

    /** The provider answered with a vector for every text; the call is billed. */
    public record Answered(ProviderResult result) implements Outcome {}

    /** No call was made: the node is paused ({@code reason}) until {@code retryAt}. */
    public record NotSent(String reason, Instant retryAt) implements Outcome {}

    /**
     * The call failed. {@code retryAt} is set when the failure paused the node (the provider is
     * unavailable, or refuses every request alike): nothing about it points at the texts sent.
     */
    public record Failed(ProviderException error, Instant retryAt) implements Outcome {
        public boolean pausedTheNode() {
            return retryAt != null;
        }
    }

    /** The call was stopped on our side (shutdown); it says nothing about the provider. */
    public record Interrupted() implements Outcome {}

    /** A pause of every call of this node. */
    private record Pause(Instant until, String reason) {}

    private final EmbeddingProvider provider;
    private final CostService costs;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Backoff backoff;
    private final DoubleSupplier jitter;
    private final ProviderCircuit circuit;
    private volatile Pause pause = new Pause(Instant.MIN, null);
    private final AtomicInteger unavailableInARow = new AtomicInteger();
    private final AtomicInteger refusedInARow = new AtomicInteger();
    private final AtomicLong answered = new AtomicLong();
    /**
     * The failure every request met when the node paused for it (refused inputs, unusable answers);
     * null once a call is answered.
     */
    private volatile ProviderException everyRequestFails;

    @Autowired
    ProviderGate(
            EmbeddingProvider provider,
            CostService costs,
            Clock clock,
            MeterRegistry meters,
            EmbeddingProperties properties) {
        this(
                provider,
                costs,
                clock,
                meters,
                properties,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    ProviderGate(
            EmbeddingProvider provider,
            CostService costs,
            Clock clock,
            MeterRegistry meters,
            EmbeddingProperties properties,
            DoubleSupplier jitter) {
        this.provider = provider;
        this.costs = costs;
        this.clock = clock;
        this.meters = meters;
        this.backoff = properties.backoff();
        this.jitter = jitter;
        this.circuit = new ProviderCircuit(properties.circuit(), clock);
        Gauge.builder("embedding.provider.circuit.open", circuit, c -> switch (c.state()) {
                    case CLOSED, DISABLED, METRICS_ONLY -> 0;
                    case HALF_OPEN -> 0.5;
                    default -> 1;
                })
                .description("the provider circuit: 0 closed, 0.5 half-open (a probe is out), 1 open")
                .register(meters);
    }

    /** Why no provider call may be made at {@code now}: a pause still running, an open circuit, or a spent budget. */
    public Optional<String> pausedReason(Instant now) {
        Pause current = pause;
        if (now.isBefore(current.until())) {
            return Optional.of(current.reason());
        }
        if (!circuit.permitsCalls()) {
            return Optional.of(CIRCUIT_OPEN);
        }
        return costs.budgetExhausted(now);
    }

    /** The circuit's state, as resilience4j names it: CLOSED, OPEN or HALF_OPEN. */
    public String circuitState() {
        return circuit.state().name();
    }

    /** When the node's own pause ends (not the circuit's, nor the budget's); {@code now} when there is none. */
    Instant pausedUntil(Instant now) {
        Instant until = pause.until();
        return now.isBefore(until) ? until : now;
    }

    /**
     * How many calls the provider has answered on this node: the caller's way to tell whether it is
     * answering others.
     */
    public long answeredCalls() {
        return answered.get();
    }

    /** The model every call asks for, and every bill and vector is recorded under. */
    public String model() {
        return provider.model();
    }

    /**
     * One call for {@code texts}. With {@code textsSuspected} the caller says these texts already
     * failed once while the provider answered other calls: an unavailability now points at them,
     * so it neither pauses the node nor counts against the circuit.
     */
    public Outcome call(List<String> texts, boolean textsSuspected) {
        return call(texts, textsSuspected, CallPurpose.DOCUMENT);
    }

    /** One call for {@code texts}, billed as made for {@code purpose}; see {@link #call(List, boolean)}. */
    public Outcome call(List<String> texts, boolean textsSuspected, CallPurpose purpose) {
        Instant now = clock.instant();
        Optional<String> paused = pausedReason(now);
        if (paused.isPresent()) {
            return new NotSent(paused.get(), pausedUntil(now));
        }
        if (!circuit.tryAcquire()) {
            return new NotSent(CIRCUIT_OPEN, now); // another thread took the one probe of a half-open circuit
        }
        Timer.Sample sample = Timer.start(meters);
        long started = System.nanoTime();
        ProviderResult result;
        try {
            result = provider.embed(texts);
            checkShape(result, texts.size());
        } catch (ProviderException e) {
            sample.stop(timer(e.reason().name().toLowerCase(Locale.ROOT)));
            if (e.reason() == ProviderException.Reason.INTERRUPTED
                    || Thread.currentThread().isInterrupted()) {
                circuit.release();
                return new Interrupted();
            }
            boolean blamesTheTexts = textsSuspected
                    && (e.reason() == ProviderException.Reason.UNAVAILABLE
                            || e.reason() == ProviderException.Reason.BAD_ANSWER);
            if (blamesTheTexts) {
                circuit.release(); // the provider answers others: this says nothing about it
            } else {
                circuit.failed(System.nanoTime() - started, e); // the circuit counts what says the provider is down
            }
            return failed(e, e.providerUnavailable() && !blamesTheTexts);
        } catch (RuntimeException e) {
            sample.stop(timer("error"));
            circuit.release();
            log.error("embedding provider failed unexpectedly", e);
            return new Failed(
                    ProviderException.badAnswer(
                            "unexpected provider error: " + e.getClass().getSimpleName()),
                    null);
        }
        sample.stop(timer("success"));
        circuit.succeeded(System.nanoTime() - started);
        answered.incrementAndGet();
        unavailableInARow.set(0);
        refusedInARow.set(0);
        everyRequestFails = null;
        if (result.promptTokens() > 0) {
            // priced by the model asked for: OpenAI answers "text-embedding-ada-002-v2" for
            // "text-embedding-ada-002", and a rate looked up by that name would bill nothing
            String answeredModel =
                    result.model() == null || result.model().equals(provider.model()) ? null : result.model();
            costs.record(
                    provider.model(), answeredModel, purpose, result.promptTokens(), texts.size(), clock.instant());
        }
        return new Answered(result);
    }

    private Failed failed(ProviderException e, boolean unavailable) {
        Instant at = clock.instant();
        if (unavailable) {
            // the provider said when to come back, or the pause grows with each such failure in a
            // row; at least the base delay ("Retry-After: 0" would hammer it), at most the longest backoff
            Duration wait = e.retryAfter() != null
                    ? clamp(e.retryAfter())
                    : backoff.delay(unavailableInARow.incrementAndGet(), jitter.getAsDouble());
            Instant until = at.plus(wait);
            pauseUntil(
                    until,
                    e.reason() == ProviderException.Reason.RATE_LIMITED || e.retryAfter() != null
                            ? "provider rate limit: no calls before " + until
                            : "provider unavailable (" + e.getMessage() + "): no calls before " + until);
            return new Failed(e, until);
        }
        if (e.reason() == ProviderException.Reason.CONFIGURATION) {
            return new Failed(e, failsEveryRequest(e, at));
        }
        return new Failed(e, null);
    }

    /**
     * One call for {@link #PROBE_TEXT}, which tells whether the provider answers requests at all
     * when the caller's texts failed. Billed and counted like any call.
     */
    public Outcome probe() {
        return call(List.of(PROBE_TEXT), false, CallPurpose.PROBE);
    }

    /**
     * The provider fails every request alike, whatever its texts: it rejects the request itself
     * (credentials, model, dimensions: a configuration error), or answers with no usable vectors.
     * No row is to blame. The node pauses, probing on the backoff schedule, with the provider's
     * words in its reason; a call that is answered ends it.
     */
    Instant failsEveryRequest(ProviderException e, Instant at) {
        everyRequestFails = e;
        Instant until = at.plus(backoff.delay(refusedInARow.incrementAndGet(), jitter.getAsDouble()));
        String what = e.reason() == ProviderException.Reason.BAD_ANSWER
                ? "the provider answers every request with no usable vectors"
                : "the provider refuses every request alike, a configuration error";
        pauseUntil(until, what + " (" + e.getMessage() + "): no rows are failed for it; next probe at " + until);
        log.warn("{} ({}); calls paused until {}", what, e.getMessage(), until);
        return until;
    }

    /**
     * Whether {@code e} is the failure the node paused for, with nothing answered since: the call
     * after the pause failed as before, and cost one call. Refusals are alike when their words
     * are; unusable answers always are (their words name the vector or the offset).
     */
    boolean stillFailsAlike(ProviderException e) {
        ProviderException paused = everyRequestFails;
        return paused != null && alike(paused, e);
    }

    /** Whether two failures say the same about the provider: refusals in the same words, or both unusable answers. */
    static boolean alike(ProviderException a, ProviderException b) {
        if (a.reason() != b.reason()) {
            return false;
        }
        return a.reason() != ProviderException.Reason.INPUT_REJECTED
                || String.valueOf(a.getMessage()).equals(b.getMessage());
    }

    private synchronized void pauseUntil(Instant until, String reason) {
        if (until.isAfter(pause.until())) {
            pause = new Pause(until, reason);
        }
    }

    private Duration clamp(Duration wait) {
        return wait.compareTo(backoff.base()) < 0
                ? backoff.base()
                : wait.compareTo(backoff.max()) > 0 ? backoff.max() : wait;
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
            throw ProviderException.badAnswer(
                    "provider returned " + result.vectors().size() + " vectors for " + expected + " texts");
        }
        int dimensions = provider.dimensions();
        for (float[] vector : result.vectors()) {
            if (vector.length == 0 || (dimensions != 0 && vector.length != dimensions)) {
                throw ProviderException.configuration("provider returned a vector of " + vector.length
                        + " dimensions, expected " + dimensions + " (check embedding.openai.dimensions)");
            }
        }
    }
}
