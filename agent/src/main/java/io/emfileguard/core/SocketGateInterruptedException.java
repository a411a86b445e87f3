package io.emfileguard.core;

import java.net.SocketException;

/**
 * Thrown when a thread waiting at the cap for a socket is interrupted. The interrupt status is kept,
 * as blocking socket operations do. A {@link SocketException} because it is thrown where the JDK
 * itself throws those (socket creation), and every caller handles it.
 */
public final class SocketGateInterruptedException extends SocketException {
    private static final long serialVersionUID = 1L;

    public SocketGateInterruptedException(int cap, int open, long waitedNanos) {
        super("emfile-guard: interrupted after waiting " + waitedNanos / 1_000_000
                + " ms for a free socket (" + open + " open, cap " + cap + ")");
    }
}
