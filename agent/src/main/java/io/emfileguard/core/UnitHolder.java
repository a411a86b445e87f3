package io.emfileguard.core;

/**
 * What holds the units of some channels instead of the gate: a client family that counts its
 * channels itself (the JDK HttpClient's account, {@code io.emfileguard.core.httpclient}). The
 * registry, the reclaimer and the gate see a family only through this interface: a channel opened
 * for a holder is tracked with it ({@link SocketRegistry#track(Object, boolean, UnitHolder)}), its
 * unit goes back to it when the channel's descriptor is gone, and the reclaimer retires an idle
 * channel from it before closing it.
 *
 * <p>Reclaim-candidate rule for a holder's channels (the reclaimer's): only a holder that
 * {@link #hasIdleChannel has an idle channel} gives one up, and of its idle channels only the
 * newest (a pool that hands out its connections oldest first keeps the one it hands out next).
 */
public interface UnitHolder {

    /** The channel's descriptor is gone (closed, or its creation failed): its unit goes back. */
    void channelClosed();

    /**
     * The reclaimer wants to close one of the holder's idle channels: it stops counting as the
     * holder's, its unit stays until the descriptor is gone ({@link #retiredChannelClosed}).
     * @return false if the holder has no idle channel (nothing is retired)
     */
    boolean retireIdleChannel();

    /** One of the holder's channels started closing; its descriptor stays open a while. */
    void retireClosingChannel();

    /** The reclaimer did not close a channel it retired after all: back in the holder's count. */
    void unretire();

    /** A retired channel's descriptor is gone: its unit goes back. */
    void retiredChannelClosed();

    /** Some channel of the holder is idle (not serving anything). */
    boolean hasIdleChannel();

    /**
     * Closes {@code connection}, the holder's object that owns {@code channel} (as remembered by
     * {@link SocketRegistry#attachConnection}), the way the holder's client expects.
     * @return false if it could not (the reclaimer then closes the channel itself)
     */
    boolean closeConnection(Object connection, Object channel);

    /** A short name for the open-sockets report, e.g. {@code HttpClient}. */
    String kind();
}
