package io.emfileguard.core;

import java.net.SocketException;

/**
 * Thrown from a socket creation that waited {@code max.wait.millis} at the cap while
 * {@code on.timeout=fail}. A {@link SocketException}, so every client already handles it.
 */
public final class SocketGateTimeoutException extends SocketException {
    private static final long serialVersionUID = 1L;

    public SocketGateTimeoutException(int cap, int open, long waitedNanos) {
        super("emfile-guard: no socket became free within " + waitedNanos / 1_000_000 + " ms ("
                + open + " open, cap " + cap + "); raise emfileguard.max.sockets or "
                + "emfileguard.max.wait.millis, or set emfileguard.on.timeout=proceed");
    }
}
