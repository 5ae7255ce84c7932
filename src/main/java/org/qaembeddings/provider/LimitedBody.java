package org.qaembeddings.provider;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a response body into memory up to a limit, and stops reading (cancelling the rest of the
 * stream) the moment it is crossed: an endless or enormous answer costs at most the limit. Past the
 * limit the body either fails ({@link TooLarge}) or, for an error answer read only for its message,
 * ends there.
 */
final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

    /** The answer was longer than the limit; nothing of it is used. */
    static final class TooLarge extends IOException {
        final long limit;

        TooLarge(long limit) {
            super("the answer is longer than " + limit + " bytes");
            this.limit = limit;
        }
    }

    private final long limit;
    private final boolean truncate;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.Subscription subscription;
    private long received;

    LimitedBody(long limit, boolean truncate) {
        this.limit = limit;
        this.truncate = truncate;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer buffer : buffers) {
            if (received + buffer.remaining() > limit) {
                subscription.cancel();
                if (truncate) {
                    buffer.limit(buffer.position() + (int) (limit - received));
                    bytes.writeBytes(remaining(buffer));
                    body.complete(bytes.toByteArray());
                } else {
                    body.completeExceptionally(new TooLarge(limit));
                }
                return;
            }
            received += buffer.remaining();
            bytes.writeBytes(remaining(buffer));
        }
    }

    private static byte[] remaining(ByteBuffer buffer) {
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        return chunk;
    }

    @Override
    public void onError(Throwable error) {
        body.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        body.complete(bytes.toByteArray());
    }
}
