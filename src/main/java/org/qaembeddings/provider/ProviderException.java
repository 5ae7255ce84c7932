package org.qaembeddings.provider;

import java.time.Duration;

/**
 * A provider call that gave no usable result. The message is safe to store and show: it never
 * holds a credential. {@link #reason()} says whom the failure points at, which decides whether the
 * rows of the call are charged an attempt; {@link #kind()} says whether the same request may
 * succeed later.
 */
public class ProviderException extends RuntimeException {

    /** Whether the same request may succeed later. */
    public enum Kind {
        /** Rate limit, server error, timeout, broken connection, garbled answer: worth retrying. */
        TRANSIENT,
        /** Bad request, bad credentials, unknown model, wrong dimensions: retrying will not help. */
        PERMANENT
    }

    /** Whom a failure points at. */
    public enum Reason {
        /** The provider as a whole did not answer: refused connection, timeout, 5xx, 408, 409. */
        UNAVAILABLE,
        /** The provider answered 429: it is alive, and asks us to slow down. */
        RATE_LIMITED,
        /** The provider refused the inputs (400, 413, 422): one of them, or the request itself, is at fault. */
        INPUT_REJECTED,
        /**
         * The provider refuses every request alike: credentials (401, 403), an unknown model or
         * endpoint (404), a redirect, vectors of another width than configured. Only an operator
         * can mend it.
         */
        CONFIGURATION,
        /** The provider answered, but not with usable vectors (malformed, wrong count, not finite, too long). */
        BAD_ANSWER,
        /** The call was stopped on our side (the node is shutting down). */
        INTERRUPTED
    }

    private final Kind kind;
    private final Reason reason;
    private final Duration retryAfter;

    private ProviderException(Kind kind, Reason reason, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.reason = reason;
        this.retryAfter = retryAfter;
    }

    /** The provider did not answer (refused, timed out, 5xx); {@code retryAfter} when it said when to come back. */
    public static ProviderException unavailable(String message, Duration retryAfter) {
        return new ProviderException(Kind.TRANSIENT, Reason.UNAVAILABLE, message, retryAfter, null);
    }

    public static ProviderException rateLimited(String message, Duration retryAfter) {
        return new ProviderException(Kind.TRANSIENT, Reason.RATE_LIMITED, message, retryAfter, null);
    }

    public static ProviderException inputRejected(String message) {
        return new ProviderException(Kind.PERMANENT, Reason.INPUT_REJECTED, message, null, null);
    }

    public static ProviderException configuration(String message) {
        return new ProviderException(Kind.PERMANENT, Reason.CONFIGURATION, message, null, null);
    }

    public static ProviderException badAnswer(String message) {
        return new ProviderException(Kind.TRANSIENT, Reason.BAD_ANSWER, message, null, null);
    }

    public static ProviderException interrupted(String message, Throwable cause) {
        return new ProviderException(Kind.TRANSIENT, Reason.INTERRUPTED, message, null, cause);
    }

    public Kind kind() {
        return kind;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * Whether the provider refused the inputs themselves (400, 413, 422): then one bad input can
     * sink a whole batch, and smaller batches may go through.
     */
    public boolean inputRejected() {
        return reason == Reason.INPUT_REJECTED;
    }

    /**
     * Whether the failure says the provider as a whole cannot serve now (down or rate limiting),
     * not this call's rows.
     */
    public boolean providerUnavailable() {
        return reason == Reason.UNAVAILABLE || reason == Reason.RATE_LIMITED;
    }

    /** How long the provider asked us to wait before the next request, or null when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
