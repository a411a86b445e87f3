package io.netty.util.concurrent;

/** Stand-in for Netty's promise: the pool hooks complete one with {@code tryFailure}, found by name. */
public interface Promise<V> extends Future<V> {
    boolean trySuccess(V result);

    boolean tryFailure(Throwable cause);
}
