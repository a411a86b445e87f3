package io.emfileguard.core;

import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The values the gate runs with. Immutable; built by the agent's configuration resolver, which owns
 * the parsing. Kept dependency-free because it lives on the bootstrap class path.
 *
 * <p>The defaults of the gate's settings are written here and only here (the {@code DEFAULT_}
 * constants): the agent's {@code Setting} declares its defaults, and so the docs' settings table,
 * from them. They are compile-time constants, so reading them loads no core class (the agent's
 * configuration is read before the core is known to be in the boot loader, e.g. by the doctor).
 */
public final class GateSettings {

    /** Default of {@code hold.millis}. */
    public static final int DEFAULT_HOLD_MILLIS = 100;
    /** Default of {@code max.wait.millis}. */
    public static final int DEFAULT_MAX_WAIT_MILLIS = 30_000;
    /** Default of {@code on.timeout}, as the setting spells it: an {@link OnTimeout} in lower case. */
    public static final String DEFAULT_ON_TIMEOUT = "proceed";
    /** Default of {@code event.loop.at.cap} as {@link #refuseEventLoopsAtCap}: false, i.e. {@code count}. */
    public static final boolean DEFAULT_REFUSE_EVENT_LOOPS_AT_CAP = false;

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
        this(maxSockets, holdMillis, maxWaitMillis, onTimeout, excludes, DEFAULT_REFUSE_EVENT_LOOPS_AT_CAP);
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

    /** {@code maxSockets} and every other setting at its default. */
    public static GateSettings of(int maxSockets) {
        return new GateSettings(maxSockets, DEFAULT_HOLD_MILLIS, DEFAULT_MAX_WAIT_MILLIS,
                OnTimeout.valueOf(DEFAULT_ON_TIMEOUT.toUpperCase(Locale.ROOT)), null,
                DEFAULT_REFUSE_EVENT_LOOPS_AT_CAP);
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
