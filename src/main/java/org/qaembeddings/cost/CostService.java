package org.qaembeddings.cost;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/** Records what each provider call cost, reports it per day, and says when the budget is spent. */
@Service
public class CostService {

    private static final Logger log = LoggerFactory.getLogger(CostService.class);
    private static final long BUCKET_SECONDS = Duration.ofMinutes(15).toSeconds();
    private static final int COST_SCALE = 10;

    private final CostRepository repository;
    private final CostProperties properties;
    private final TransactionTemplate ownTransaction;
    private final MeterRegistry meters;
    private final Map<String, Boolean> warnedModels = new ConcurrentHashMap<>();

    CostService(
            CostRepository repository,
            CostProperties properties,
            PlatformTransactionManager transactions,
            MeterRegistry meters) {
        this.repository = repository;
        this.properties = properties;
        this.ownTransaction = new TransactionTemplate(transactions);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.meters = meters;
    }

    /** USD for {@code tokens} of {@code model}: tokens / 1000 × the model's rate, exact to 10 decimals. */
    public BigDecimal costOf(String model, long tokens) {
        BigDecimal usd = properties.usdFor(model, tokens, COST_SCALE);
        if (usd == null) {
            if (warnedModels.putIfAbsent(model, Boolean.TRUE) == null) {
                log.warn(
                        "no cost rate for model '{}'; its calls are recorded at 0 USD. Set embedding.cost.rates.{}",
                        model,
                        model);
            }
            return BigDecimal.ZERO.setScale(COST_SCALE);
        }
        return usd;
    }

    /**
     * Records one provider call, in a transaction of its own: the tokens were spent whether or not
     * the vectors are written later. The call is priced and reported by {@code model}, the model
     * asked for; {@code answeredModel} (null when the same) is kept beside it.
     */
    public CostRecord record(String model, String answeredModel, int tokens, int items, Instant at) {
        return record(model, answeredModel, CallPurpose.DOCUMENT, tokens, items, at);
    }

    /** Records one provider call made for {@code purpose}; see {@link #record(String, String, int, int, Instant)}. */
    public CostRecord record(
            String model, String answeredModel, CallPurpose purpose, int tokens, int items, Instant at) {
        CostRecord record = new CostRecord(at, model, answeredModel, purpose, tokens, items, costOf(model, tokens));
        Instant bucket = Instant.ofEpochSecond(Math.floorDiv(at.getEpochSecond(), BUCKET_SECONDS) * BUCKET_SECONDS);
        try {
            write(record, bucket);
        } catch (DuplicateKeyException firstCallOfTheBucketRaced) {
            // another node created the bucket between our UPDATE and INSERT; now the UPDATE finds it
            write(record, bucket);
        }
        Counter.builder("embedding.tokens")
                .tag("model", model)
                .description("tokens billed by the provider")
                .register(meters)
                .increment(tokens);
        Counter.builder("embedding.cost.usd")
                .tag("model", model)
                .description("USD spent on embeddings")
                .register(meters)
                .increment(record.costUsd().doubleValue());
        return record;
    }

    private void write(CostRecord record, Instant bucket) {
        ownTransaction.executeWithoutResult(tx -> {
            repository.insert(record);
            if (!repository.addToBucket(bucket, record)) {
                repository.insertBucket(bucket, record);
            }
        });
    }

    /** USD spent on calls made for {@code purpose} since {@code since}. */
    public BigDecimal spent(CallPurpose purpose, Instant since) {
        return repository.spent(purpose, since);
    }

    /** One line of a day in the report: a model and what it was called for, a model's purposes together. */
    private record Line(String model, CallPurpose purpose) {
        static final Comparator<Line> ORDER = Comparator.comparing(Line::model).thenComparing(Line::purpose);
    }

    /** What a line adds up to. */
    private static final class Sum {
        long calls;
        long tokens;
        BigDecimal costUsd = BigDecimal.ZERO;
    }

    /** Daily totals per model and purpose for the days {@code from..to} in {@code zone}. */
    public CostReport report(LocalDate from, LocalDate to, ZoneId zone) {
        Instant start = from.atStartOfDay(zone).toInstant();
        Instant end = to.plusDays(1).atStartOfDay(zone).toInstant();
        Map<LocalDate, Map<Line, Sum>> sums = new TreeMap<>();
        for (CostRepository.Bucket b : repository.buckets(start, end)) {
            LocalDate day = b.start().atZone(zone).toLocalDate();
            Sum sum = sums.computeIfAbsent(day, d -> new TreeMap<>(Line.ORDER))
                    .computeIfAbsent(new Line(b.model(), b.purpose()), l -> new Sum());
            sum.calls += b.calls();
            sum.tokens += b.tokens();
            sum.costUsd = sum.costUsd.add(b.costUsd());
        }
        List<DailyCost> days = new ArrayList<>();
        long calls = 0;
        long tokens = 0;
        BigDecimal total = BigDecimal.ZERO.setScale(COST_SCALE);
        for (var day : sums.entrySet()) {
            for (var line : day.getValue().entrySet()) {
                Sum sum = line.getValue();
                BigDecimal cost = sum.costUsd.setScale(COST_SCALE, RoundingMode.HALF_UP);
                days.add(new DailyCost(
                        day.getKey(), line.getKey().model(), line.getKey().purpose(), sum.calls, sum.tokens, cost));
                calls += sum.calls;
                tokens += sum.tokens;
                total = total.add(cost);
            }
        }
        return new CostReport(from, to, zone, days, new CostReport.Total(calls, tokens, total));
    }

    /** Today's and this month's spend, in the budget's zone, against the budgets. */
    public BudgetStatus budget(Instant now) {
        CostProperties.Budget budget = properties.budget();
        LocalDate day = now.atZone(budget.zone()).toLocalDate();
        return new BudgetStatus(
                budget.zone(),
                day,
                budget.dailyUsd(),
                spentSince(day, now),
                budget.monthlyUsd(),
                spentSince(day.withDayOfMonth(1), now));
    }

    /**
     * Why provider calls must wait, when a configured budget is reached at {@code now}. Asked before
     * every provider call: it sums only the periods that have a budget.
     */
    public Optional<String> budgetExhausted(Instant now) {
        CostProperties.Budget budget = properties.budget();
        LocalDate day = now.atZone(budget.zone()).toLocalDate();
        if (budget.dailyUsd() != null) {
            BigDecimal spent = spentSince(day, now);
            if (spent.compareTo(budget.dailyUsd()) >= 0) {
                return Optional.of("daily budget of " + budget.dailyUsd() + " USD reached (" + spent.toPlainString()
                        + " USD spent on " + day + " " + budget.zone() + ")");
            }
        }
        if (budget.monthlyUsd() != null) {
            BigDecimal spent = spentSince(day.withDayOfMonth(1), now);
            if (spent.compareTo(budget.monthlyUsd()) >= 0) {
                return Optional.of("monthly budget of " + budget.monthlyUsd() + " USD reached (" + spent.toPlainString()
                        + " USD spent in " + day.toString().substring(0, 7) + " " + budget.zone() + ")");
            }
        }
        return Optional.empty();
    }

    /** USD spent from the start of {@code first} in the budget's zone up to {@code now}, without trailing zeros. */
    private BigDecimal spentSince(LocalDate first, Instant now) {
        // the bucket that holds now ends up to 15 minutes after it
        BigDecimal spent = repository.spent(
                first.atStartOfDay(properties.budget().zone()).toInstant(), now.plusSeconds(BUCKET_SECONDS));
        return spent.signum() == 0 ? BigDecimal.ZERO : spent.stripTrailingZeros();
    }
}
