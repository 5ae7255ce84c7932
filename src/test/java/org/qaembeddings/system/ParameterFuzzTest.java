package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qaembeddings.support.Api.assertProblem;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.qaembeddings.support.Api;
import org.qaembeddings.support.DatabaseTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.MethodParameter;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Every query parameter and path variable of every endpoint the router knows, given values at and
 * past the limits of their types (numbers, dates, time zones, text), one at a time: never a 5xx,
 * and every refusal a problem. The cost report's dates and zone are also tried in combination.
 */
@TestPropertySource(properties = {"embedding.worker-enabled=false", "security.rate-limit.writes-per-second=0"})
class ParameterFuzzTest extends DatabaseTest {

    private static final List<String> VALUES = List.of(
            "",
            " ",
            "-1",
            "0",
            "1",
            "20",
            "100",
            "101",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775808",
            "1e308",
            "-0",
            "NaN",
            "Infinity",
            "true",
            "FALSE",
            "null",
            "0x10",
            "\uFF11",
            "1,2",
            "-999999999-01-01",
            "+999999999-12-31",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "2026-02-30",
            "2026-13-01",
            "2026-1-1",
            "UTC",
            "+18:00",
            "-18:00",
            "+19:00",
            "UTC+99",
            "GMT+14",
            "Z",
            "Europe/Paris",
            "SystemV/EST5",
            "EST",
            "../etc/passwd",
            "a/b",
            "\u0000",
            "\u009b31m",
            "'; DROP TABLE qa_pair; --",
            "x".repeat(5000),
            "\uD83D\uDE00",
            "%",
            "00000000-0000-0000-0000-000000000000",
            "not-a-uuid");
    private static final List<String> DAYS = List.of(
            "-999999999-01-01",
            "0000-12-31",
            "0001-01-01",
            "1970-01-01",
            "2026-12-01",
            "9999-12-30",
            "9999-12-31",
            "10000-01-01",
            "+999999999-12-31");
    private static final List<String> ZONES =
            List.of("UTC", "+18:00", "-18:00", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu");

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    private final Map<Integer, Integer> statuses = new TreeMap<>();

    private Api.Response call(String method, String path, String body) {
        Api.Response r = api.call(method, path, null, body);
        statuses.merge(r.status(), 1, Integer::sum);
        assertThat(r.status()).as(method + " " + path).isLessThan(500);
        if (r.status() >= 400) {
            assertThat(r.header("Content-Type")).as(method + " " + path).startsWith("application/problem+json");
        }
        return r;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Test
    void everyParameterOfEveryEndpointAnswersBelow500WhateverItsValue() {
        String id = api.create("The question?", "The answer.");
        String pair = Api.pairJson("The question?", "The answer.");
        int endpoints = 0;
        int parameters = 0;
        for (Map.Entry<RequestMappingInfo, HandlerMethod> entry :
                mappings.getHandlerMethods().entrySet()) {
            for (String pattern : entry.getKey().getPatternValues()) {
                if (!pattern.startsWith("/api/")) {
                    continue;
                }
                for (RequestMethod requestMethod :
                        entry.getKey().getMethodsCondition().getMethods()) {
                    String method = requestMethod.name();
                    String body = method.equals("GET") || method.equals("DELETE") ? null : pair;
                    endpoints++;
                    for (MethodParameter parameter : entry.getValue().getMethodParameters()) {
                        String name = parameter.getParameterName();
                        if (parameter.hasParameterAnnotation(RequestParam.class)) {
                            parameters++;
                            String path = pattern.replace("{id}", id);
                            for (String value : VALUES) {
                                call(method, path + "?" + name + "=" + encode(value), body);
                            }
                            call(method, path + "?" + name + "=1&" + name + "=2", body);
                        } else if (parameter.hasParameterAnnotation(PathVariable.class)) {
                            parameters++;
                            for (String value : VALUES) {
                                call(method, pattern.replace("{" + name + "}", encode(value)), body);
                            }
                        }
                    }
                }
            }
        }
        assertThat(endpoints).as("the router's endpoints were found").isGreaterThanOrEqualTo(10);
        assertThat(parameters).as("their parameters were found").isGreaterThanOrEqualTo(12);
        assertThat(statuses.keySet()).as("both outcomes reached").contains(200, 400);
    }

    @Test
    void costReportDatesAndZonesAtTheirLimitsAnswerBelow500() {
        List<String> refused = new ArrayList<>();
        for (String from : DAYS) {
            for (String to : DAYS) {
                for (String zone : ZONES) {
                    Api.Response r = call(
                            "GET",
                            "/api/embeddings/costs?from=" + encode(from) + "&to=" + encode(to) + "&zone="
                                    + encode(zone),
                            null);
                    if (r.status() != 200) {
                        refused.add(from + ".." + to);
                    }
                }
            }
            call("GET", "/api/embeddings/costs?from=" + encode(from), null);
            call("GET", "/api/embeddings/costs?to=" + encode(from), null);
        }
        assertThat(refused).isNotEmpty();
    }

    @Test
    void costReportDaysOutsideFourDigitYearsAreRefusedNamingTheParameter() {
        Api.Response early = api.get("/api/embeddings/costs?from=-999999999-01-01&to=0001-01-01");
        assertProblem(early, 400);
        assertThat(early.json().path("detail").asString()).startsWith("from ");
        Api.Response late = api.get("/api/embeddings/costs?from=9999-12-31&to=%2B999999999-12-31");
        assertProblem(late, 400);
        assertThat(late.json().path("detail").asString()).startsWith("to ");
        Api.Response zone = api.get("/api/embeddings/costs?zone=UTC%2B99");
        assertProblem(zone, 400);
        assertThat(zone.json().path("detail").asString()).startsWith("zone ");

        for (String zoneId : ZONES) {
            assertThat(api.get("/api/embeddings/costs?from=0001-01-01&to=0001-12-31&zone=" + encode(zoneId))
                            .status())
                    .as("the first year in " + zoneId)
                    .isEqualTo(200);
            assertThat(api.get("/api/embeddings/costs?from=9999-01-01&to=9999-12-31&zone=" + encode(zoneId))
                            .status())
                    .as("the last year in " + zoneId)
                    .isEqualTo(200);
        }
        assertThat(api.get("/api/embeddings/costs?to=0001-01-05").status())
                .as("30 days back stop at the first day")
                .isEqualTo(200);
    }
}
