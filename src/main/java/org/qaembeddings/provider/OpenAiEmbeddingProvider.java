package org.qaembeddings.provider;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Calls an OpenAI-compatible {@code POST {baseUrl}/embeddings} with the whole batch in one request,
 * checks every part of the answer before trusting it, and classifies failures for retrying.
 * Built on {@code java.net.http}: no extra dependency, and full control of timeouts, headers and
 * error bodies, which is all this one endpoint needs.
 */
final class OpenAiEmbeddingProvider implements EmbeddingProvider {

    /** Sizes of OpenAI's own models, used to check answers when no dimensions are configured. */
    static final Map<String, Integer> KNOWN_DIMENSIONS = Map.of(
            "text-embedding-3-small", 1536,
            "text-embedding-3-large", 3072,
            "text-embedding-ada-002", 1536);

    private static final int MAX_ERROR_DETAIL = 300;
    /**
     * Bytes one vector value may take as JSON text: a sign, 17 significant digits, a point, an
     * exponent, a comma, spaces.
     */
    static final int BYTES_PER_VALUE = 32;
    /** Vector width allowed when neither the configuration nor the model's name tells it. */
    static final int WIDEST = 16_384;

    private static final int ENVELOPE_PER_INPUT = 256;
    private static final int ENVELOPE = 64 * 1024;
    /** An error answer is read for its message only. */
    static final int ERROR_BODY_LIMIT = 64 * 1024;
    /** The longest model name kept from an answer (the column's width). */
    private static final int MAX_MODEL_NAME = 200;

    private static final Pattern RESET_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    /**
     * {@code Retry-After} in seconds: digits, with a fraction some servers send; nothing else (no
     * sign, exponent, NaN).
     */
    private static final Pattern SECONDS = Pattern.compile("\\d{1,40}(\\.\\d{1,9})?");
    /** Far beyond any pause the worker takes (it caps waits at embedding.retry.max-delay), and far from overflow. */
    static final Duration LONGEST_WAIT = Duration.ofDays(365);

    private final OpenAiProperties properties;
    private final JsonMapper json;
    private final AnswerParser answers;
    private final HttpClient http;
    private final Clock clock;
    private final URI endpoint;
    private final int dimensions;
    // the lazy registry reads only this encoding's table: the default one reads all four (about 2 s)
    private final Encoding tokenizer = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    private final ProviderText providerText;

    OpenAiEmbeddingProvider(OpenAiProperties properties, JsonMapper json, HttpClient http, Clock clock) {
        this.properties = properties;
        this.clock = clock;
        this.json = json;
        this.answers = new AnswerParser(json);
        this.http = http;
        this.providerText = new ProviderText(properties.apiKey());
        String base = properties.baseUrl().toString();
        this.endpoint = URI.create((base.endsWith("/") ? base : base + "/") + "embeddings");
        this.dimensions = properties.dimensions() != null
                ? properties.dimensions()
                : KNOWN_DIMENSIONS.getOrDefault(properties.model(), 0);
    }

    @Override
    public String kind() {
        return "openai";
    }

    @Override
    public String model() {
        return properties.model();
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    @Override
    public int maxInputTokens() {
        return properties.maxInputTokens();
    }

    @Override
    public int maxRequestTokens() {
        return properties.maxRequestTokens();
    }

    @Override
    public int countTokens(String text) {
        return tokenizer.countTokens(text);
    }

    /** Every cl100k_base token is at least one byte of UTF-8: a text of n bytes has at most n tokens. */
    @Override
    public int maxTokensOf(String text) {
        return utf8Length(text);
    }

    private static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a pair is 4 bytes
        }
        return bytes;
    }

    String fit(String text) {
        if (utf8Length(text) <= properties.maxInputTokens()) {
            return text; // no need to tokenize: it cannot be over the limit
        }
        var encoded = tokenizer.encode(text, properties.maxInputTokens());
        return encoded.isTruncated() ? tokenizer.decode(encoded.getTokens()) : text;
    }

    @Override
    public ProviderResult embed(List<String> texts) {
        List<String> sent = texts.stream().map(this::fit).toList();
        HttpResponse<byte[]> response = send(requestBody(sent), answerLimit(sent.size()));
        int status = response.statusCode();
        if (status / 100 != 2) {
            throw httpError(response);
        }
        return parse(response.body(), sent);
    }

    private byte[] requestBody(List<String> sent) {
        ObjectNode body = json.createObjectNode();
        body.put("model", properties.model());
        ArrayNode input = body.putArray("input");
        for (String text : sent) {
            input.add(text);
        }
        body.put("encoding_format", properties.encodingFormat().wireName());
        if (properties.dimensions() != null) {
            body.put("dimensions", properties.dimensions());
        }
        return json.writeValueAsBytes(body);
    }

    /**
     * The most bytes a good answer for {@code inputs} texts can take: each value of each vector
     * written as a JSON number of at most {@value #BYTES_PER_VALUE} bytes (base64 takes 5.4), plus
     * room for the envelope. Without a configured or known width, {@value #WIDEST} values are
     * allowed per vector.
     */
    long answerLimit(int inputs) {
        long width = dimensions > 0 ? dimensions : WIDEST;
        return inputs * (width * BYTES_PER_VALUE + ENVELOPE_PER_INPUT) + ENVELOPE;
    }

    private HttpResponse<byte[]> send(byte[] body, long answerLimit) {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(properties.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (properties.hasApiKey()) {
            request.header("Authorization", "Bearer " + properties.apiKey());
        }
        // the client's own timeout stops at the response headers; a body trickled slowly would hold
        // a worker for as long as the provider likes, so the whole answer is waited for here
        CompletableFuture<HttpResponse<byte[]>> call = http.sendAsync(
                request.build(),
                info -> info.statusCode() / 100 == 2
                        ? new LimitedBody(answerLimit, false)
                        : new LimitedBody(ERROR_BODY_LIMIT, true));
        try {
            return call.get(properties.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw timedOut();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpTimeoutException) {
                throw timedOut();
            }
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof LimitedBody.TooLarge tooLarge) {
                    throw AnswerParser.invalid("the answer is longer than " + tooLarge.limit
                            + " bytes, more than the vectors asked for can take");
                }
            }
            throw ProviderException.unavailable(
                    "provider unreachable: " + e.getCause().getClass().getSimpleName(), null);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw ProviderException.interrupted("interrupted while calling the provider", e);
        }
    }

    private ProviderException timedOut() {
        return ProviderException.unavailable("provider timed out after " + properties.timeout(), null);
    }

    private ProviderException httpError(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        String detail = "HTTP " + status + " from provider"
                + errorMessage(response.body()).map(m -> ": " + m).orElse("");
        if (status == 429) {
            return ProviderException.rateLimited(detail, retryAfter(response, clock));
        }
        if (status == 408 || status == 409 || status >= 500) {
            return ProviderException.unavailable(detail, status == 503 ? retryAfter(response, clock) : null);
        }
        if (status == 400 || status == 413 || status == 422) {
            return ProviderException.inputRejected(detail);
        }
        // 401, 403, 404, a redirect (never followed): every request would fail alike
        return ProviderException.configuration(detail);
    }

    private Optional<String> errorMessage(byte[] body) {
        try {
            JsonNode message = json.readTree(body).path("error").path("message");
            if (!message.isString() || message.asString().isBlank()) {
                return Optional.empty();
            }
            String text = providerText.clean(message.asString());
            return Optional.of(text.length() > MAX_ERROR_DETAIL ? text.substring(0, MAX_ERROR_DETAIL) + "..." : text);
        } catch (JacksonException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The wait a rate-limited answer asks for: {@code Retry-After} (seconds or an HTTP date), else
     * the longest of OpenAI's {@code x-ratelimit-reset-requests} / {@code -tokens} ("1s", "6m0s", "20ms").
     * A value that is negative, not a number, not a date or not a duration counts as absent; a date
     * in the past is no wait; anything longer than {@link #LONGEST_WAIT} is that (the worker caps it
     * further, at embedding.retry.max-delay).
     */
    static Duration retryAfter(HttpResponse<?> response, Clock clock) {
        var headers = response.headers();
        Optional<String> retryAfter = headers.firstValue("retry-after");
        if (retryAfter.isPresent()) {
            Duration wait = parseRetryAfter(retryAfter.get().trim(), clock);
            if (wait != null) {
                return wait;
            }
        }
        Duration longest = null;
        for (String name : List.of("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")) {
            Optional<String> value = headers.firstValue(name);
            if (value.isPresent()) {
                Duration parsed = parseResetDuration(value.get().trim());
                if (parsed != null && (longest == null || parsed.compareTo(longest) > 0)) {
                    longest = parsed;
                }
            }
        }
        return longest;
    }

    static Duration parseRetryAfter(String value, Clock clock) {
        if (SECONDS.matcher(value).matches()) {
            BigDecimal millis = new BigDecimal(value).movePointRight(3);
            return millis.compareTo(BigDecimal.valueOf(LONGEST_WAIT.toMillis())) >= 0
                    ? LONGEST_WAIT
                    : Duration.ofMillis(millis.setScale(0, RoundingMode.HALF_UP).longValue());
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
            Instant now = clock.instant();
            if (!at.toInstant().isAfter(now)) {
                return Duration.ZERO;
            }
            return at.toInstant().isAfter(now.plus(LONGEST_WAIT))
                    ? LONGEST_WAIT
                    : Duration.between(now, at.toInstant());
        } catch (DateTimeException notADate) {
            return null;
        }
    }

    static Duration parseResetDuration(String value) {
        Matcher m = RESET_PART.matcher(value);
        double millis = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                return null;
            }
            double n = Double.parseDouble(m.group(1)); // digits only: never negative, at worst infinite
            millis += switch (m.group(2)) {
                case "ms" -> n;
                case "s" -> n * 1_000;
                case "m" -> n * 60_000;
                default -> n * 3_600_000;
            };
            end = m.end();
        }
        if (end == 0 || end != value.length()) {
            return null;
        }
        return millis >= LONGEST_WAIT.toMillis() ? LONGEST_WAIT : Duration.ofMillis(Math.round(millis));
    }

    private ProviderResult parse(byte[] body, List<String> sent) {
        AnswerParser.Parsed parsed = answers.parse(body, sent.size());
        int width = parsed.vectors()[0].length;
        if (dimensions != 0 && width != dimensions) {
            throw ProviderException.configuration("provider returned " + width + " dimensions, expected " + dimensions
                    + " (check embedding.openai.dimensions)");
        }
        return new ProviderResult(
                Arrays.asList(parsed.vectors()),
                promptTokens(parsed.promptTokens(), sent),
                answeredModel(parsed.model()));
    }

    /**
     * The provider's count when it gave a sane one; else (some gateways leave {@code usage} out,
     * others overflow it) our own count of what was sent, with the model's tokenizer: the call is
     * billed either way, and never failed for it.
     */
    private int promptTokens(Integer reported, List<String> sent) {
        if (reported != null) {
            return reported;
        }
        long counted = 0;
        for (String text : sent) {
            counted += tokenizer.countTokens(text);
        }
        return (int) Math.min(Integer.MAX_VALUE, counted);
    }

    /** The model the answer names, made safe to store and log; the configured one when it names none. */
    private String answeredModel(String model) {
        if (model == null || model.isBlank()) {
            return properties.model();
        }
        String name = providerText.clean(model);
        return name.length() > MAX_MODEL_NAME ? name.substring(0, MAX_MODEL_NAME) : name;
    }
}
