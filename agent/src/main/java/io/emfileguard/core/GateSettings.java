package io.emfileguard.core;

import java.util.Collections;
import java.util.List;

/**
 * The values the gate runs with. Immutable; built by the agent's configuration resolver, which owns
 * the defaults and the parsing. Kept dependency-free because it lives on the bootstrap class path.
 */
public final class GateSettings {

    /** What a thread does when it has waited {@code max.wait.millis}. */
    public enum OnTimeout { PROCEED, FAIL }

    public final int maxSockets;
    public final long holdMillis;
    public final long maxWaitMillis;
    public final OnTimeout onTimeout;
    public final List<AddressRule> excludes;
    /**
     * {@code event.loop.at.cap=fail}: a thread that must not park (an event loop) opening a socket at
     * the cap gets a {@link SocketGateRefusedException} instead of being counted above the cap.
     */
    public final boolean refuseEventLoopsAtCap;

    public GateSettings(int maxSockets, long holdMillis, long maxWaitMillis, OnTimeout onTimeout,
                        List<AddressRule> excludes) {
        this(maxSockets, holdMillis, maxWaitMillis, onTimeout, excludes, false);
    }

    public GateSettings(int maxSockets, long holdMillis, long maxWaitMillis, OnTimeout onTimeout,
                        List<AddressRule> excludes, boolean refuseEventLoopsAtCap) {
        if (maxSockets < 1 || holdMillis < 1 || maxWaitMillis < 0 || onTimeout == null) {
            throw new IllegalArgumentException("invalid gate settings");
        }
        this.maxSockets = maxSockets;
        this.holdMillis = holdMillis;
        this.maxWaitMillis = maxWaitMillis;
        this.onTimeout = onTimeout;
        this.refuseEventLoopsAtCap = refuseEventLoopsAtCap;
        this.excludes = excludes == null ? Collections.emptyList() : Collections.unmodifiableList(excludes);
    }

    public static GateSettings of(int maxSockets) {
        return new GateSettings(maxSockets, 100, 30_000, OnTimeout.PROCEED, null);
    }

    public GateSettings withMaxSockets(int newMax) {
        return new GateSettings(newMax, holdMillis, maxWaitMillis, onTimeout, excludes, refuseEventLoopsAtCap);
    }

    long holdNanos() {
        return holdMillis * 1_000_000L;
    }

    public long maxWaitNanos() {
        return maxWaitMillis * 1_000_000L;
    }

    @Override
    public String toString() {
        return "max.sockets=" + maxSockets + ", hold.millis=" + holdMillis + ", max.wait.millis="
                + maxWaitMillis + ", on.timeout=" + onTimeout.name().toLowerCase()
                + ", event.loop.at.cap=" + (refuseEventLoopsAtCap ? "fail" : "count");
    }
}
