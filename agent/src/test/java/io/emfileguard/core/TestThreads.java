package io.emfileguard.core;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The threads a test starts: each one's result or failure reaches the test ({@link Outcome#get}), and
 * {@link #assertAllEndedAndNoFailureUnseen} (after each test) fails on a thread still running or on a
 * failure the test never looked at. Nothing a test thread throws is lost.
 */
public final class TestThreads {
    /** How long, in real time, a thread may take to end once the test expects it to. */
    private static final long END_TIMEOUT_MILLIS = 10_000;

    public interface Body {
        void run() throws Exception;
    }

    /** One thread's result: what it returned, or what it threw. */
    public static final class Outcome<T> {
        public final Thread thread;
        private final FutureTask<T> task;
        private volatile boolean seen;

        Outcome(Thread thread, FutureTask<T> task) {
            this.thread = thread;
            this.task = task;
        }

        /** Waits for the thread to end (10 s at most, then fails); returns its result or throws what it threw. */
        public T get() throws Exception {
            awaitEnd();
            seen = true;
            try {
                return task.get(0, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception) {
                    throw (Exception) cause;
                }
                throw (Error) cause;
            }
        }

        public void awaitEnd() throws InterruptedException {
            thread.join(END_TIMEOUT_MILLIS);
            assertFalse(thread.isAlive(), thread.getName() + " has not ended");
        }

        /** What it threw, or null; only once it has ended. */
        public Throwable failure() throws InterruptedException {
            try {
                task.get(0, TimeUnit.SECONDS);
                return null;
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(thread.getName() + " has not ended", e);
            }
        }
    }

    private final List<Outcome<?>> started = new CopyOnWriteArrayList<>();

    <T> Outcome<T> call(String name, Callable<T> body) {
        FutureTask<T> task = new FutureTask<>(body);
        Thread t = new Thread(task, name);
        Outcome<T> outcome = new Outcome<>(t, task);
        started.add(outcome);
        t.start();
        return outcome;
    }

    public Outcome<Void> run(String name, Body body) {
        return call(name, () -> {
            body.run();
            return null;
        });
    }

    /** Every thread ended, and none threw what its test did not look at through {@link Outcome#get}. */
    public void assertAllEndedAndNoFailureUnseen() throws InterruptedException {
        AssertionError failed = null;
        for (Outcome<?> o : started) {
            o.awaitEnd();
            Throwable f = o.failure();
            if (f != null && !o.seen) {
                if (failed == null) {
                    failed = new AssertionError(o.thread.getName() + " failed: " + f, f);
                } else {
                    failed.addSuppressed(f);
                }
            }
        }
        started.clear();
        if (failed != null) {
            throw failed;
        }
    }
}
