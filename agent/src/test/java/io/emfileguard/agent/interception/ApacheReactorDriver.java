package io.emfileguard.agent.interception;

import io.emfileguard.core.ThreadPolicy;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.net.Host;
import org.apache.hc.core5.reactor.DefaultConnectingIOReactor;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives a real HttpCore 5 {@code DefaultConnectingIOReactor} (one I/O thread, an event loop: it
 * marks itself as the woven JDK selector would). Defined by {@link ApacheReactorWeavingTest}'s class
 * loader next to the woven library, so that it links against the woven classes.
 */
public final class ApacheReactorDriver implements ReactorDriver {
    private final DefaultConnectingIOReactor reactor;
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private volatile Exception failure;

    public ApacheReactorDriver() {
        IOEventHandler idle = new IOEventHandler() {
            @Override public void connected(IOSession session) { }
            @Override public void inputReady(IOSession session, ByteBuffer src) { }
            @Override public void outputReady(IOSession session) { }
            @Override public void timeout(IOSession session, Timeout timeout) { }
            @Override public void exception(IOSession session, Exception cause) { }
            @Override public void disconnected(IOSession session) { }
        };
        reactor = new DefaultConnectingIOReactor((session, attachment) -> idle,
                IOReactorConfig.custom().setIoThreadCount(1).setSelectInterval(TimeValue.ofMilliseconds(50)).build(),
                r -> new Thread(() -> {
                    ThreadPolicy.selecting(1_000); // what the woven Selector would tell: an event loop
                    r.run();
                }, "woven-reactor"),
                null, null, null, null);
        reactor.start();
    }

    @Override
    public Future<?> connect(InetSocketAddress server, long timeoutMillis) {
        return reactor.connect(new Host(server.getHostString(), server.getPort()), server, null,
                Timeout.ofMilliseconds(timeoutMillis), null, new FutureCallback<IOSession>() {
                    @Override
                    public void completed(IOSession session) {
                        completed.incrementAndGet();
                        session.close(CloseMode.IMMEDIATE);
                    }

                    @Override
                    public void failed(Exception ex) {
                        failure = ex;
                        failed.incrementAndGet();
                    }

                    @Override
                    public void cancelled() {
                        cancelled.incrementAndGet();
                    }
                });
    }

    @Override public int completed() { return completed.get(); }
    @Override public int failed() { return failed.get(); }
    @Override public int cancelled() { return cancelled.get(); }
    @Override public Exception failure() { return failure; }

    @Override
    public void close() {
        reactor.close(CloseMode.IMMEDIATE);
    }
}
