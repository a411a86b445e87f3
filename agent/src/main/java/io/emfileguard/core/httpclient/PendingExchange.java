package io.emfileguard.core.httpclient;

import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * One {@code HttpClient.sendAsync} exchange, as the agent admits it without parking its caller.
 *
 * <p>The JDK starts an exchange with {@code start.completeAsync(() -> null, executor)} in
 * {@code MultiExchange.responseAsync(Executor)}: everything before that (the selector check, the
 * request copy, the reference count that keeps the client's selector alive, the pending-request
 * registration) stays on the caller, and the agent hands the JDK this object in place of the
 * executor. Its {@link #execute} is the start: run at once when the client has room or the gate a
 * unit, else queued in the gate as {@link SocketGate.Deferred} work and run on the client's own
 * executor once admitted. The caller returns at once either way.
 *
 * <p>However its wait ends, the start runs exactly once, so that the JDK's chain completes and its
 * reference count comes back: with a unit (granted, or counted above the cap when
 * {@code on.timeout=proceed}), with room of the client's own (claimed), or without any after the
 * exchange was cancelled for good: by its caller ({@code cancel(true)} of the returned future), by
 * its request's timeout (the JDK starts its own timer only when the exchange starts: the wait is
 * bounded here and ends as the JDK's timer ends it, {@code HttpTimeoutException}), or by the gate
 * ({@code on.timeout=fail}). A start without a unit opens no socket: {@code Exchange.establishExchange}
 * checks the cancel cause before it connects.
 *
 * <p>The exchange counts in its client's account ({@link HttpClientAccount}) from admission to the
 * end of the returned future, whichever comes last: the two marks below meet once.
 */
final class PendingExchange extends SocketGate.Deferred implements Executor, BiConsumer<Object, Throwable> {

    private static final int ADMITTED = 1;
    private static final int ENDED = 2;

    private final HttpClientAccount account;
    private final SocketGate gate;
    private final long requestTimeoutNanos;
    /** The JDK's executor for the start, and its MultiExchange; set when the JDK calls responseAsync. */
    private volatile Executor delegate;
    private volatile Object multiExchange;
    private volatile Runnable start;
    /** ADMITTED | ENDED: the exchange counts in its client's account between the two. */
    private final AtomicInteger marks = new AtomicInteger();

    PendingExchange(HttpClientAccount account, SocketGate gate, long requestTimeoutNanos) {
        this.account = account;
        this.gate = gate;
        this.requestTimeoutNanos = requestTimeoutNanos;
    }

    /** The JDK's {@code responseAsync(executor)} on this exchange's {@code MultiExchange}: this stands in for the executor. */
    Executor standIn(Object multiExchange, Executor executor) {
        this.multiExchange = multiExchange;
        this.delegate = executor;
        return this;
    }

    HttpClientAccount account() {
        return account;
    }

    /** Whether the JDK ever handed its start here (false: its responseAsync was not woven). */
    boolean started() {
        return start != null;
    }

    /**
     * The JDK starts the exchange (on the caller, inside {@code sendAsync}): run it now if there is
     * room, else queue it; never waits. A rejection by the client's executor when run now reaches the
     * caller as the JDK's own would.
     */
    @Override
    public void execute(Runnable task) {
        start = task;
        SocketGate.Admission a;
        try {
            if (requestTimeoutNanos > 0) {
                expireAfter(gate, requestTimeoutNanos);
            }
            a = account.admitAsync(this);
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client async admission", e);
            delegate.execute(task); // unsure: the exchange goes on uncounted, as without the agent
            return;
        }
        if (a == SocketGate.Admission.DEFERRED) {
            return;
        }
        markAdmitted();
        try {
            delegate.execute(task);
        } catch (RuntimeException | Error e) {
            markEnded(); // the JDK's sendAsync fails with it: the exchange never ran
            throw e;
        }
    }

    // ---- the gate's callbacks (on its delivery thread)

    @Override
    protected void admitted(SocketGate.Admission how) {
        account.admitterDone(this);
        if (how != SocketGate.Admission.CLAIMED) {
            account.admittedWithUnit();
        }
        markAdmitted();
        runStart();
    }

    @Override
    protected void refused(SocketGateTimeoutException reason) {
        account.admitterDone(this);
        cancelExchange(reason);
        runStart();
    }

    @Override
    protected void expired() {
        account.admitterDone(this);
        cancelExchange(HttpClientInternals.timeoutException(multiExchange, "request timed out"));
        runStart();
    }

    @Override
    protected boolean tryClaim() {
        return account.tryClaim();
    }

    @Override
    protected void undoClaim() {
        account.exchangeEnded();
    }

    // ---- the returned future completed (value, error, or its caller's cancel)

    @Override
    public void accept(Object value, Throwable error) {
        if (isWaiting() && HttpClientInternals.requestCancelled(multiExchange) && gate.cancel(this)) {
            // Cancelled for good while it waited: it leaves the queue, and the start runs without a
            // unit so that the JDK's chain ends (the exchange sees its cancel before connecting).
            account.admitterDone(this);
            runStart();
        }
        markEnded();
    }

    private void markAdmitted() {
        if ((setMark(ADMITTED) & ENDED) != 0) {
            endInAccount();
        }
    }

    private void markEnded() {
        if ((setMark(ENDED) & ADMITTED) != 0) {
            endInAccount();
        }
    }

    /** Sets {@code mark} once; returns the marks before (a mark already set: as if the other was not). */
    private int setMark(int mark) {
        for (;;) {
            int before = marks.get();
            if ((before & mark) != 0) {
                return 0;
            }
            if (marks.compareAndSet(before, before | mark)) {
                return before;
            }
        }
    }

    private void endInAccount() {
        try {
            account.exchangeEnded();
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client exchange end", e);
        }
    }

    /** Runs the JDK's start on its executor; if that executor refuses, here, after failing the exchange. */
    private void runStart() {
        Runnable task = start;
        try {
            delegate.execute(task);
        } catch (RuntimeException e) {
            // The JDK's sendAsync would have thrown this to its caller, who is long gone: the
            // exchange fails with it instead, and its chain still ends (no socket: it is cancelled).
            cancelExchange(new IOException("the HttpClient's executor refused the exchange", e));
            task.run();
        }
    }

    private void cancelExchange(IOException cause) {
        HttpClientInternals.cancel(multiExchange, cause);
    }

    /** What the core reads and calls of the JDK's {@code jdk.internal.net.http} (opened to it when woven). */
    static final class HttpClientInternals {
        private static final ClassValue<Method[]> METHODS = new ClassValue<Method[]>() {
            @Override
            protected Method[] computeValue(Class<?> type) {
                return new Method[] {find(type, "cancel", IOException.class), find(type, "requestCancelled")};
            }
        };

        private HttpClientInternals() {
        }

        private static Method find(Class<?> type, String name, Class<?>... parameters) {
            try {
                Method m = type.getDeclaredMethod(name, parameters);
                m.setAccessible(true);
                return m;
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("http client internals: " + type.getName() + "." + name, e);
                return null;
            }
        }

        /** {@code MultiExchange.cancel(IOException)}: what the JDK's own response timer calls. */
        static void cancel(Object multiExchange, IOException cause) {
            Method m = multiExchange == null ? null : METHODS.get(multiExchange.getClass())[0];
            if (m == null) {
                return;
            }
            try {
                m.invoke(multiExchange, cause);
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("http client cancel", e);
            }
        }

        /** {@code MultiExchange.requestCancelled()}: its caller cancelled it with {@code cancel(true)}. */
        static boolean requestCancelled(Object multiExchange) {
            Method m = multiExchange == null ? null : METHODS.get(multiExchange.getClass())[1];
            if (m == null) {
                return false; // unsure: it stays queued and runs when admitted, as the JDK would run it
            }
            try {
                return Boolean.TRUE.equals(m.invoke(multiExchange));
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("http client requestCancelled", e);
                return false;
            }
        }

        /** A {@code java.net.http.HttpTimeoutException}, as the JDK's timer makes it (its module is not the core's). */
        static IOException timeoutException(Object multiExchange, String message) {
            try {
                ClassLoader loader = multiExchange == null ? null : multiExchange.getClass().getClassLoader();
                Class<?> type = Class.forName("java.net.http.HttpTimeoutException", false, loader);
                return (IOException) type.getConstructor(String.class).newInstance(message);
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("http client timeout exception", e);
                return new IOException(message);
            }
        }
    }

    /** For the exit of {@code sendAsync}: its returned future ends the exchange in the account. */
    void whenReturned(Object result, Throwable thrown) {
        if (thrown != null || !(result instanceof CompletableFuture)) {
            accept(null, thrown);
            return;
        }
        ((CompletableFuture<?>) result).whenComplete(this);
    }
}
