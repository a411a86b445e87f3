package io.emfileguard.core;

import java.net.ConnectException;

/**
 * With {@code event.loop.at.cap=fail}: an event-loop thread (Netty, Reactor...) opened a socket while
 * the process is at its cap. It cannot wait, and counting it above the cap would let the process run
 * into EMFILE, which fails every thread's next file or socket. A {@link ConnectException} is what
 * these clients already treat as retryable.
 */
public final class SocketGateRefusedException extends ConnectException {
    private static final long serialVersionUID = 1L;

    public SocketGateRefusedException(int maxSockets, int open, String thread) {
        super("emfile-guard: " + open + " sockets open, at the cap of " + maxSockets
                + "; the event-loop thread " + thread + " cannot wait for a free socket, so this connection is"
                + " refused before the process runs out of descriptors; retry later, or set"
                + " emfileguard.event.loop.at.cap=count to count it above the cap, or raise emfileguard.max.sockets");
    }
}
