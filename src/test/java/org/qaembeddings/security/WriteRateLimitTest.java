package org.qaembeddings.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.test.context.TestPropertySource;

/**
 * The per-client write limit over HTTP: a burst of 3, then nothing for 1,000 s (a rate of one write
 * per 1,000 s, so that no token comes back while the test runs).
 */
@Tag("single-database")
@TestPropertySource(
        properties = {
            "security.api-keys=first-client-0123456789abcdef,second-client-0123456789abcdef",
            "security.rate-limit.writes-per-second=0.001",
            "security.rate-limit.burst=3"
        })
class WriteRateLimitTest extends DatabaseTest {

    static final String FIRST = "first-client-0123456789abcdef";
    static final String SECOND = "second-client-0123456789abcdef";

    @Test
    void writesOverTheLimitGet429WithRetryAfterAndChangeNothing() {
        for (int i = 0; i < 3; i++) {
            assertThat(api.call("POST", "/api/qa-pairs", FIRST, Api.pairJson("q" + i, "a"))
                            .status())
                    .isEqualTo(201);
        }
        Api.Response limited = api.call("POST", "/api/qa-pairs", FIRST, Api.pairJson("one too many", "a"));

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Content-Type")).startsWith("application/problem+json");
        assertThat(limited.json().path("status").asInt()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isEqualTo("1000");
        assertThat(pairs()).isEqualTo(3);
        // reads are not limited, and another client has its own bucket
        assertThat(api.call("GET", "/api/qa-pairs", FIRST, null).status()).isEqualTo(200);
        assertThat(api.call("POST", "/api/qa-pairs", SECOND, Api.pairJson("other client", "a"))
                        .status())
                .isEqualTo(201);
        assertThat(api.call("DELETE", "/api/qa-pairs/00000000-0000-0000-0000-000000000001", FIRST, null)
                        .status())
                .isEqualTo(429);
        assertThat(pairs()).isEqualTo(4);
    }
}
