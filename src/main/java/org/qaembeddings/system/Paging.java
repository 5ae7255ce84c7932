package org.qaembeddings.system;

/** The limits of every paged list of the API ({@code page}, {@code size}). */
public final class Paging {

    /** Deep offsets are slow and nobody pages to them; the cap keeps OFFSET arithmetic far from overflow. */
    public static final int MAX_PAGE = 1_000_000;

    public static final int MAX_SIZE = 100;
    /** As the request parameter's default value, which must be a constant string. */
    public static final String DEFAULT_SIZE = "20";

    private Paging() {}
}
