package io.netty.channel.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Stand-in for Netty 4.1's {@code SimpleChannelPool}, with the shape the interception table weaves
 * (the fields {@code deque} and {@code bootstrap}, {@code acquire(Promise)}, {@code offerChannel}):
 * an acquire takes the newest idle channel, or connects a new one at once on the calling thread,
 * and completes its promise; a failure fails it. No health check.
 */
public class SimpleChannelPool {
    private final Deque<Channel> deque = new ConcurrentLinkedDeque<>();
    private final Bootstrap bootstrap;

    public SimpleChannelPool(Bootstrap bootstrap) {
        this.bootstrap = bootstrap;
    }

    public Future<Channel> acquire(Promise<Channel> promise) {
        try {
            Channel ch = deque.pollLast();
            if (ch == null) {
                ch = bootstrap.connect();
            }
            if (!promise.trySuccess(ch)) {
                offerChannel(ch); // completed meanwhile (cancelled): back into the pool
            }
        } catch (Throwable cause) {
            promise.tryFailure(cause);
        }
        return promise;
    }

    /** Netty's release, without its event-loop hop and health check. */
    public void release(Channel channel) {
        offerChannel(channel);
    }

    protected boolean offerChannel(Channel channel) {
        return deque.offer(channel);
    }

    /** For tests: idle channels. */
    public int idle() {
        return deque.size();
    }
}
