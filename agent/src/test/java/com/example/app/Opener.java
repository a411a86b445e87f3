package com.example.app;

import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketRegistry;

/** Application code, as the leak report sees it: the first frame outside the JDK and the agent. */
public final class Opener {
    private Opener() {
    }

    public static void open(SocketGate gate, SocketRegistry registry, Object owner) throws Exception {
        gate.acquire(true);
        registry.track(owner, true);
    }
}
