package org.qaembeddings.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The write limit's token bucket on its own, on times the test gives: no context, no HTTP. */
class TokenBucketTest {

    @Test
    void bucketRefillsAtTheConfiguredRate() {
        SecurityProperties properties =
                new SecurityProperties(null, null, null, null, true, new SecurityProperties.RateLimit(0.5, 2));
        WriteRateLimitFilter filter = new WriteRateLimitFilter(properties, Clock.systemUTC(), null);

        assertThat(filter.take("a", 0)).isZero();
        assertThat(filter.take("a", 0)).isZero();
        assertThat(filter.take("a", 0)).isEqualTo(2000);
        assertThat(filter.take("b", 0)).as("clients do not share a bucket").isZero();
        assertThat(filter.take("a", 1000)).isEqualTo(1000);
        assertThat(filter.take("a", 2000)).isZero();
        assertThat(filter.take("a", 2000)).isEqualTo(2000);
        // an idle client gets its burst back, never more
        assertThat(filter.take("a", 1_000_000)).isZero();
        assertThat(filter.take("a", 1_000_000)).isZero();
        assertThat(filter.take("a", 1_000_000)).isEqualTo(2000);
    }
}
