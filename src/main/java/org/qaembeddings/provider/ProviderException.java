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

    public ProviderException(Kind kind, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.retryAfter = retryAfter;
    }

    public ProviderException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public Kind kind() {
        return kind;
    }

    /** How long the provider asked us to wait before the next request, or null when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
