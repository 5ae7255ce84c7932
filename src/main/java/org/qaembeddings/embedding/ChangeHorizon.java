package org.qaembeddings.embedding;

/**
 * Tells a follower of the change feed when a missing change number is final. Numbers are taken in
 * one order and committed in another: a number missing from a read may belong to a transaction
 * still running. Values are ordered like transaction ids: {@link #begun()}, read after a gap was
 * seen, is above every transaction that could hold it; once {@link #ended()}, read later, has
 * reached that value, every such transaction has committed or rolled back, and a number still
 * missing never comes.
 */
public interface ChangeHorizon {

    /** Called by a writing transaction before it takes a change number; once per transaction is enough. */
    void enlist();

    /** A value below which every transaction has ended: read it before the reads it is to judge. */
    long ended();

    /**
     * A value above every transaction that may have taken a change number so far: read it after the
     * reads that saw a gap.
     */
    long begun();
}
