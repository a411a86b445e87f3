package io.netty.util.concurrent;

/** Stand-in for Netty's event-loop thread type, matched by name only. */
public class FastThreadLocalThread extends Thread {
    public FastThreadLocalThread(Runnable r) {
        super(r);
    }
}
