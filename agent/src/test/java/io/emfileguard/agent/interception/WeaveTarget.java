package io.emfileguard.agent.interception;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Woven by {@link WeaverTest}: methods shaped like the JDK's targets (loops, handlers, several returns). */
public class WeaveTarget {
    final boolean server;
    public String label;

    public WeaveTarget(String label, Object owner) {
        this.server = owner == null;
        this.label = label + owner;
    }

    /** Several returns, a loop (stack map frames) and a handler of its own. */
    public boolean create(boolean stream) throws IOException {
        int tries = 0;
        while (tries < 3) {
            try {
                if (!stream) {
                    throw new IOException("not a stream");
                }
                if (tries == 1) {
                    return true;
                }
            } catch (IllegalStateException e) {
                return false;
            }
            tries++;
        }
        return false;
    }

    public static Object open(Object family) {
        if ("bad".equals(family)) {
            throw new IllegalArgumentException("bad family");
        }
        return "channel:" + family;
    }

    public String lookup(String key) {
        return key.isEmpty() ? null : "value:" + key;
    }

    public CompletableFuture<String> send(String request, long timeout, double weight) {
        if (request == null) {
            throw new NullPointerException("request");
        }
        return CompletableFuture.completedFuture(request + timeout + weight);
    }

    /** Hands work on to an executor it is given (a loop and a second use of the parameter: frames). */
    public int handOn(long id, Executor executor, Runnable task) {
        int handed = 0;
        for (int i = 0; i < 2; i++) {
            if (i == 1 && executor != null) {
                executor.execute(task);
                handed++;
            }
        }
        return handed;
    }

    /** A long parameter before the one the hook reads: slots, not indexes. */
    public void endRead(long bytes, boolean completed) throws IOException {
        if (bytes < 0) {
            throw new IOException("closed");
        }
    }
}
