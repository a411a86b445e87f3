package io.netty.channel;

import java.util.concurrent.Executor;

/** Stand-in for Netty's channel: the pool hooks ask it for its event loop, by name. */
public interface Channel {
    Executor eventLoop();
}
