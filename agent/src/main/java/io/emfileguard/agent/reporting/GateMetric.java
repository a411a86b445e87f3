package io.emfileguard.agent.reporting;

/**
 * Every metric the agent reports, named once: its MBean attribute and, for those in the CloudWatch
 * EMF lines, its EMF name and unit. An MXBean takes its attribute names from its getters, so
 * {@link SocketGateMXBean} cannot refer to these; {@code GateMetricTest} holds its getters to them.
 * Users' dashboards, alarms and scripts read these names: never rename one.
 */
public enum GateMetric {
    OPEN_SOCKETS("OpenSockets", "OpenSockets", "Count"),
    TRACKED_SOCKETS("TrackedSockets"),
    /** All-time peak in the MBean; in the EMF line, the peak of the interval the line covers. */
    PEAK_OPEN_SOCKETS("PeakOpenSockets", "OpenSocketsPeak", "Count"),
    MAX_SOCKETS("MaxSockets"),
    /** The EMF line's {@code MaxSockets} is the cap enforced, a property rather than a metric (no unit). */
    EFFECTIVE_MAX_SOCKETS("EffectiveMaxSockets", "MaxSockets", null),
    WAITING_THREADS("WaitingThreads"),
    /** Totals in the MBean; the EMF line carries what the interval added. */
    WAITS("WaitsTotal", "Waits", "Count"),
    TIMEOUTS("TimeoutsTotal", "Timeouts", "Count"),
    WAIT_TIME("WaitTimeMillisTotal", "WaitTime", "Milliseconds"),
    OVER_CAP("OverCapTotal"),
    REFUSED_CONNECTS("RefusedConnectsTotal"),
    COLLECTED_SOCKETS("CollectedSocketsTotal"),
    LEAKED_CHANNELS("LeakedChannelsTotal"),
    RECLAIMED_SOCKETS("ReclaimedSocketsTotal", "ReclaimedSockets", "Count"),
    HANDED_BACK_SOCKETS("HandedBackSocketsTotal"),
    GC_REQUESTS("GcRequestsTotal"),
    /** Unexpected errors inside the agent, every one (the log shows one line per kind). */
    INTERNAL_ERRORS("InternalErrorsTotal"),
    DESCRIPTORS_IN_USE("DescriptorsInUse", "DescriptorsInUse", "Count");

    /** The attribute of {@code io.emfileguard:type=SocketGate}. */
    public final String attribute;
    /** The member of an EMF line; null when the line does not carry it. */
    public final String emfName;
    /** The CloudWatch unit of an EMF metric; null for a member that is not a metric, or not in the line. */
    public final String emfUnit;

    GateMetric(String attribute) {
        this(attribute, null, null);
    }

    GateMetric(String attribute, String emfName, String emfUnit) {
        this.attribute = attribute;
        this.emfName = emfName;
        this.emfUnit = emfUnit;
    }
}
