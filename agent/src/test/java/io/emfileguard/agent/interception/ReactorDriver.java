package io.emfileguard.agent.interception;

import java.net.InetSocketAddress;
import java.util.concurrent.Future;

/**
 * What {@link ApacheReactorWeavingTest} asks of a real, woven HttpCore 5 reactor: implemented by
 * {@link ApacheReactorDriver}, which is loaded next to the woven library classes; this interface is
 * loaded by the test's own loader, so the test can call it.
 */
public interface ReactorDriver extends AutoCloseable {
    /** {@code ConnectingIOReactor.connect(...)} to {@code server} with a callback that counts. */
    Future<?> connect(InetSocketAddress server, long timeoutMillis);

    int completed();

    int failed();

    int cancelled();

    /** The last failure the callback saw, or null. */
    Exception failure();

    @Override
    void close();
}
