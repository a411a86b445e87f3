package io.emfileguard.agent.reporting;

/** {@code io.emfileguard:type=SocketGate}: what the gate sees, read-only but for the cap. */
public interface SocketGateMXBean {
    int getOpenSockets();

    /** Sockets in the agent's registry (read after OpenSockets, which first drops the ones the GC took). */
    int getTrackedSockets();

    int getPeakOpenSockets();

    int getMaxSockets();

    /** Changes the cap at run time; a raised cap admits waiting threads at once. */
    void setMaxSockets(int maxSockets);

    int getWaitingThreads();

    long getWaitsTotal();

    long getTimeoutsTotal();

    long getWaitTimeMillisTotal();

    /** Sockets counted above the cap: event-loop threads, or waits that timed out and proceeded. */
    long getOverCapTotal();

    /** Sockets refused to event-loop threads at the cap ({@code event.loop.at.cap=fail}). */
    long getRefusedConnectsTotal();

    /** Sockets dropped without close() whose unit came back when the garbage collector took them. */
    long getCollectedSocketsTotal();

    /** Channels dropped without close(): their descriptors stay open, and so do their units. */
    long getLeakedChannelsTotal();

    /** Idle pooled sockets closed so that threads waiting at the cap could proceed. */
    long getReclaimedSocketsTotal();

    /** Of those, pooled sockets closed as they went back to their pool while threads waited at the cap. */
    long getHandedBackSocketsTotal();

    /** Garbage collections asked for because waiting threads were held only by sockets dropped without close(). */
    long getGcRequestsTotal();

    /** Unexpected errors inside the agent (each kind logged once); the application went on each time. */
    long getInternalErrorsTotal();

    /** The cap enforced now: MaxSockets, lowered by the descriptor guard when other descriptors crowd in. */
    int getEffectiveMaxSockets();

    /** Descriptors of every kind in use at the guard's last look at /proc/self/fd; -1 when the guard is off. */
    int getDescriptorsInUse();

    void resetPeak();

    /** The leak report: open sockets by peer host:port with age (and call site with track.stacks=true). */
    String openSocketsReport();
}
