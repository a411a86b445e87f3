package io.emfileguard.core.apache;

import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.ThreadPolicy;

import org.apache.hc.core5.concurrent.BasicFuture;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ConnectionInitiator;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stands in for HttpCore 5's {@code SingleCoreIOReactor} and its {@code IOSessionRequest}, calling
 * {@link ApacheAsyncHooks} where the woven library calls them (same order, same arguments): a
 * connect queues a request; the reactor's thread later checks {@code isCancelled()}, opens the
 * channel (through the hooks the JDK's {@code SelectorProviderImpl.openSocketChannel} calls) or
 * fails the request. It implements HttpCore's real {@link ConnectionInitiator} (the agent re-runs a
 * deferred connect through it), in a package of the agent's, never in Apache's.
 */
final class ApacheReactorStandIn implements ConnectionInitiator {

    /** HttpCore's {@code IOSessionRequest}, as far as the hooks see it. */
    static final class Request implements Future<IOSession> {
        final SocketAddress remote;
        final Timeout timeout;
        final BasicFuture<IOSession> future;
        volatile SocketChannel channel;

        Request(SocketAddress remote, Timeout timeout, FutureCallback<IOSession> callback) {
            this.remote = remote;
            this.timeout = timeout;
            this.future = new BasicFuture<>(callback);
            ApacheAsyncHooks.sessionRequestCreated(this); // woven: <init> exit
        }

        void completed() {
            future.completed(null);
            ApacheAsyncHooks.sessionRequestEnded(this); // woven: completed(ProtocolIOSession) exit
        }

        void failed(Exception cause) {
            future.failed(cause);
            ApacheAsyncHooks.sessionRequestEnded(this); // woven: failed(Exception) exit
        }

        boolean cancel() {
            boolean cancelled = future.cancel();
            ApacheAsyncHooks.sessionRequestEnded(this); // woven: cancel() exit
            return cancelled;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return cancel();
        }

        @Override
        public boolean isCancelled() {
            boolean cancelled = future.isCancelled();
            ApacheAsyncHooks.sessionRequestChecked(cancelled, this); // woven: isCancelled() exit
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return future.isDone();
        }

        @Override
        public IOSession get() throws InterruptedException, ExecutionException {
            return future.get();
        }

        @Override
        public IOSession get(long t, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            return future.get(t, unit);
        }
    }

    final ConcurrentLinkedQueue<Request> queue = new ConcurrentLinkedQueue<>();
    final List<SocketChannel> opened = new CopyOnWriteArrayList<>();
    final List<Thread> connectedOn = new CopyOnWriteArrayList<>();
    /** The next opens fail as a process out of descriptors does. */
    volatile boolean openFails;
    /** The next connect's body throws (as a reactor that was shut down). */
    volatile RuntimeException bodyThrows;

    /** {@code SingleCoreIOReactor.connect}, as woven: entry hook, skip, exit hook (also on a throw). */
    @Override
    @SuppressWarnings("unchecked")
    public Future<IOSession> connect(NamedEndpoint endpoint, SocketAddress remote, SocketAddress local, Timeout timeout,
                                     Object attachment, FutureCallback<IOSession> callback) {
        Object entered = ApacheAsyncHooks.beforeReactorConnect(this, endpoint, remote, local, timeout, attachment, callback);
        if (entered instanceof ApacheAsyncHooks.DeferredConnect) {
            return (Future<IOSession>) ApacheAsyncHooks.afterReactorConnect(null, entered, null);
        }
        Future<IOSession> result;
        try {
            connectedOn.add(Thread.currentThread());
            RuntimeException fail = bodyThrows;
            if (fail != null) {
                bodyThrows = null;
                throw fail;
            }
            Request r = new Request(remote, timeout, callback);
            queue.add(r);
            result = r;
        } catch (RuntimeException | Error e) {
            ApacheAsyncHooks.afterReactorConnect(null, entered, e);
            throw e;
        }
        return (Future<IOSession>) ApacheAsyncHooks.afterReactorConnect(result, entered, null);
    }

    /**
     * {@code processPendingConnectionRequests} on the calling thread (an event loop: it selects
     * first): skips cancelled requests, opens a channel for each of the others.
     */
    void processPending() {
        ThreadPolicy.selecting(1_000);
        Request r;
        while ((r = queue.poll()) != null) {
            if (r.isCancelled()) {
                continue;
            }
            SocketChannel channel = null;
            Throwable thrown = null;
            Object taken = null;
            try {
                taken = SocketHooks.beforeChannelOpen(); // woven: SelectorProviderImpl.openSocketChannel entry
                if (openFails) {
                    throw new IOException("Too many open files");
                }
                channel = SocketChannel.open();
            } catch (Exception e) {
                thrown = e;
            }
            SocketHooks.afterChannelOpen(channel, taken, thrown); // woven: its exit
            if (thrown != null) {
                r.failed((Exception) thrown);
                continue;
            }
            r.channel = channel;
            opened.add(channel);
        }
    }

    /** Closes a channel the way the JDK's woven {@code tryClose} reports it. */
    static void close(SocketChannel channel) throws IOException {
        channel.close();
        SocketHooks.descriptorCloseEnded(true, channel, null);
    }
}
