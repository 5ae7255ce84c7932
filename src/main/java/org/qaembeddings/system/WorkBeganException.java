package org.qaembeddings.system;

/**
 * A request that failed after it may have changed things: pairs claimed, provider calls made and
 * billed. Its problem says so, where any other failure's says that nothing was changed.
 */
public class WorkBeganException extends RuntimeException {

    public WorkBeganException(Throwable cause) {
        super("the request failed after it began", cause);
    }
}
