package org.qaembeddings.system;

/** A request that does not fit the state it finds (nothing waits to be approved); answered with 409. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
