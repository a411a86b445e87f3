package io.emfileguard.core;

import io.netty.util.concurrent.FastThreadLocalThread;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadPolicyTest {

    static class EventLoopSubclass extends FastThreadLocalThread {
        EventLoopSubclass(Runnable r) {
            super(r);
        }
    }

    @Test
    void recognisesEventLoopThreadsAndTheirSubclasses() throws Exception {
        assertTrue(ThreadPolicy.isEventLoopThread(new EventLoopSubclass(() -> { })));
        assertFalse(ThreadPolicy.isEventLoopThread(new Thread(() -> { })));
        AtomicBoolean mayPark = new AtomicBoolean(true);
        Thread t = new EventLoopSubclass(() -> mayPark.set(ThreadPolicy.mayPark()));
        t.start();
        t.join();
        assertFalse(mayPark.get(), "an event loop must never be parked");
    }

    @Test
    void ordinaryThreadsMayPark() {
        assertTrue(ThreadPolicy.mayPark());
    }
}
