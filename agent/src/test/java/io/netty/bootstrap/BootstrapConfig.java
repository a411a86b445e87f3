package io.netty.bootstrap;

import java.util.concurrent.Executor;

/** Stand-in for Netty's bootstrap configuration: {@code group()}, where a pool's connects run. */
public final class BootstrapConfig {
    private final Executor group;

    BootstrapConfig(Executor group) {
        this.group = group;
    }

    public Executor group() {
        return group;
    }
}
