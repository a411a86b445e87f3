package io.emfileguard.demo;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Reads the emfile-guard MBean if some agent registered it. The application has no dependency on
 * the agent: it looks the bean up by name on the platform MBean server and reads what it finds.
 */
public final class SocketGateStats {

    public static final String OBJECT_NAME = "io.emfileguard:type=SocketGate";

    /** Attribute names as the agent declares them (its GateMetric enum); spelled here because the demo does not link the agent. */
    static final String[] ATTRIBUTES = {
        "OpenSockets", "PeakOpenSockets", "MaxSockets", "WaitingThreads", "WaitsTotal", "TimeoutsTotal",
        "WaitTimeMillisTotal", "OverCapTotal", "ReclaimedSocketsTotal",
    };

    private SocketGateStats() {
    }

    /** The bean's attributes by name, or an empty map when no such bean is registered. */
    public static Map<String, Object> read() {
        Map<String, Object> values = new LinkedHashMap<>();
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName(OBJECT_NAME);
            if (!server.isRegistered(name)) {
                return values;
            }
            AttributeList list = server.getAttributes(name, ATTRIBUTES);
            for (Attribute attribute : list.asList()) {
                values.put(attribute.getName(), attribute.getValue());
            }
        } catch (Exception | LinkageError e) {
            // no JMX here, or the bean went away: report nothing rather than fail the batch
        }
        return values;
    }

    /** Loads JMX before a batch so that reading the bean later needs no class loading. */
    public static void warmUp() {
        read();
    }
}
