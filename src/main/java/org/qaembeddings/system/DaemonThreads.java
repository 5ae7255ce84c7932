package org.qaembeddings.system;

import java.util.concurrent.ThreadFactory;

/** Threads of the service's own background work, named for thread dumps; none of them keeps the JVM up. */
public final class DaemonThreads {

    private DaemonThreads() {}

    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
