package io.netty.channel.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stand-in for Netty's {@code FixedChannelPool}: it overrides {@code acquire(Promise)}, counts the
 * acquire, then calls {@code super.acquire}. A deferred acquire must run again below that count.
 */
public class FixedChannelPool extends SimpleChannelPool {
    private final AtomicInteger acquired = new AtomicInteger();

    public FixedChannelPool(Bootstrap bootstrap) {
        super(bootstrap);
    }

    @Override
    public Future<Channel> acquire(Promise<Channel> promise) {
        acquired.incrementAndGet();
        return super.acquire(promise);
    }

    public int acquiredCount() {
        return acquired.get();
    }
}
