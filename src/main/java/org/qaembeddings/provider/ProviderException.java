package org.qaembeddings.provider;

import java.time.Duration;

/**
 * A provider call that gave no usable result. The message is safe to store and show: it never
 * holds a credential.
 */
public class ProviderException extends RuntimeException {

    /** Whether the same request may succeed later. */
    public enum Kind {
        /** Rate limit, server error, timeout, broken connection, garbled answer: worth retrying. */
        TRANSIENT,
        /** Bad request, bad credentials, unknown model, wrong dimensions: retrying will not help. */
        PERMANENT
    }

    private final Kind kind;
    private final Duration retryAfter;
    private final boolean inputRejected;

    public ProviderException(Kind kind, String message, Duration retryAfter, Throwable cause, boolean inputRejected) {
        super(message, cause);
        this.kind = kind;
        this.retryAfter = retryAfter;
        this.inputRejected = inputRejected;
    }

    public ProviderException(Kind kind, String message, Duration retryAfter, Throwable cause) {
        this(kind, message, retryAfter, cause, false);
    }

    public ProviderException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    /**
     * Whether the provider refused the inputs themselves (400, 413, 422): then one bad input can
     * sink a whole batch, and smaller batches may go through. Credentials, a missing model or
     * wrong dimensions fail every batch alike, so they are not split.
     */
    public boolean inputRejected() {
        return inputRejected;
    }

    public Kind kind() {
        return kind;
    }

    /** How long the provider asked us to wait before the next request, or null when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
