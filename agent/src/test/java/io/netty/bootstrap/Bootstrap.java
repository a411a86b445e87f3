package io.netty.bootstrap;

import io.netty.channel.Channel;

import java.util.concurrent.Callable;
import java.util.concurrent.Executor;

/**
 * Stand-in for Netty's bootstrap: {@code config().group()} as the pool hooks read it, and a
 * {@code connect()} that opens a channel at once, on the calling thread, as Netty's does.
 */
public final class Bootstrap {
    private final BootstrapConfig config;
    private final Callable<Channel> open;

    public Bootstrap(Executor group, Callable<Channel> open) {
        this.config = new BootstrapConfig(group);
        this.open = open;
    }

    public BootstrapConfig config() {
        return config;
    }

    public Channel connect() throws Exception {
        return open.call();
    }
}
