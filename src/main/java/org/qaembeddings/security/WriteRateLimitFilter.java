package org.qaembeddings.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.qaembeddings.system.Problems;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code security.rate-limit}: a token bucket per client over the calls that write, so that one
 * runaway client cannot flood the database and the provider bill. Over the limit: 429 with
 * {@code Retry-After}, in whole seconds, when the next write will be let through.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class WriteRateLimitFilter extends OncePerRequestFilter {

    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");
    /** Past this many clients, the buckets that have refilled (idle clients) are dropped. */
    private static final int SWEEP_AT = 10_000;

    /** Tokens left at a moment, in milliseconds of the clock. */
    private record Bucket(double tokens, long atMillis) {}

    private final SecurityProperties.RateLimit limit;
    private final Clock clock;
    private final Problems problems;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    WriteRateLimitFilter(SecurityProperties properties, Clock clock, Problems problems) {
        this.limit = properties.rateLimit();
        this.clock = clock;
        this.problems = problems;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !limit.enabled()
                || !WRITES.contains(request.getMethod())
                || !(request.getServletPath().startsWith("/api/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Object client = request.getAttribute(ApiKeyFilter.CLIENT);
        long wait = take(client == null ? "address:" + request.getRemoteAddr() : client.toString(), clock.millis());
        if (wait > 0) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString((wait + 999) / 1000));
            problems.write(
                    response,
                    HttpStatus.TOO_MANY_REQUESTS,
                    "more than " + limit.writesPerSecond() + " writes per second (burst " + limit.burst()
                            + ") from this client; nothing was changed");
            return;
        }
        chain.doFilter(request, response);
    }

    /** Takes one token; returns 0 when there was one, else the milliseconds until there will be. */
    long take(String client, long now) {
        if (buckets.size() > SWEEP_AT) {
            buckets.values().removeIf(b -> refilled(b, now) >= limit.burst());
        }
        long[] wait = {0};
        buckets.compute(client, (key, bucket) -> {
            double tokens = bucket == null ? limit.burst() : refilled(bucket, now);
            if (tokens >= 1) {
                return new Bucket(tokens - 1, now);
            }
            wait[0] = Math.max(1, (long) Math.ceil((1 - tokens) * 1000 / limit.writesPerSecond()));
            return new Bucket(tokens, now);
        });
        return wait[0];
    }

    private double refilled(Bucket bucket, long now) {
        return Math.min(
                limit.burst(), bucket.tokens() + Math.max(0, now - bucket.atMillis()) * limit.writesPerSecond() / 1000);
    }
}
