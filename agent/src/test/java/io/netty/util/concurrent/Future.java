package io.netty.util.concurrent;

/** Stand-in for Netty's future type (the agent's tests have no Netty): what the pool hooks rely on, and no more. */
public interface Future<V> extends java.util.concurrent.Future<V> {
}
