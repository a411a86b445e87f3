package io.emfileguard.core;

/**
 * A client family's say in a {@code SocketChannel} open, asked by {@link SocketHooks#beforeChannelOpen}
 * before the gate: the channel the current thread opens now may be one the family has already paid
 * for, or one whose unit the family's own account holds. A family registers its rule once, when its
 * hooks class is first used ({@link SocketHooks#addChannelOpenRule}): until then nothing of the
 * family can be in progress, and the gate decides alone. Its {@code toString()} names it in the
 * report of an error it throws.
 */
public interface ChannelOpenRule {

    /**
     * Called on the thread that opens the channel, before its descriptor exists; must be cheap when
     * the channel is not the family's (one volatile or thread-local read).
     * @return null if the channel is not the family's (the next rule, then the gate, decides);
     *         {@link Boolean#TRUE} if its unit is already paid (no unit is taken); or the
     *         {@link UnitHolder} that has counted it (the channel is tracked with it). An exception
     *         is reported and the channel goes uncounted.
     */
    Object beforeChannelOpen();
}
