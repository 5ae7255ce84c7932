package org.qaembeddings.system;

/** Thrown for an id that names nothing; answered with 404. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }
}
