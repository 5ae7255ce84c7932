package org.qaembeddings.system;

/** A request that is well-formed but asks for something out of bounds; answered with 400. */
public class BadRequestException extends RuntimeException {

    public BadRequestException(String message) {
        super(message);
    }
}
