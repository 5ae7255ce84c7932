package org.qaembeddings.cost;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import org.qaembeddings.system.BadRequestException;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class CostController {

    static final int MAX_DAYS = 366;
    static final int DEFAULT_DAYS = 30;
    /**
     * Days a report may name: four-digit years, as ISO 8601 writes them. Outside them a day's
     * start in a zone, or 30 days before it, can overflow {@link java.time.Instant} or the
     * database's timestamps.
     */
    static final LocalDate FIRST_DAY = LocalDate.of(1, 1, 1);

    static final LocalDate LAST_DAY = LocalDate.of(9999, 12, 31);

    private final CostService costs;
    private final Clock clock;

    CostController(CostService costs, Clock clock) {
        this.costs = costs;
        this.clock = clock;
    }

    /** Daily totals per model; by default the last 30 days in UTC, today included. */
    @GetMapping("/api/embeddings/costs")
    CostReport costs(
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(defaultValue = "UTC") String zone) {
        ZoneId zoneId;
        try {
            zoneId = ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw new BadRequestException(
                    "zone must be a time zone id such as UTC or Europe/Paris, was '" + zone + "'");
        }
        inRange("from", from);
        inRange("to", to);
        LocalDate end = to != null ? to : LocalDate.ofInstant(clock.instant(), zoneId);
        LocalDate start = from != null ? from : latest(FIRST_DAY, end.minusDays(DEFAULT_DAYS - 1));
        if (start.isAfter(end)) {
            throw new BadRequestException("from (" + start + ") must not be after to (" + end + ")");
        }
        if (ChronoUnit.DAYS.between(start, end) >= MAX_DAYS) {
            throw new BadRequestException("at most " + MAX_DAYS + " days per report");
        }
        return costs.report(start, end, zoneId);
    }

    /**
     * Today's and this month's spend against the budgets ({@code embedding.cost.budget.*}), days in
     * the budget's zone.
     */
    @GetMapping("/api/embeddings/budget")
    BudgetStatus budget() {
        return costs.budget(clock.instant());
    }

    private static void inRange(String parameter, LocalDate day) {
        if (day != null && (day.isBefore(FIRST_DAY) || day.isAfter(LAST_DAY))) {
            throw new BadRequestException(
                    parameter + " must be a day from " + FIRST_DAY + " to " + LAST_DAY + ", was " + day);
        }
    }

    private static LocalDate latest(LocalDate a, LocalDate b) {
        return a.isAfter(b) ? a : b;
    }
}
