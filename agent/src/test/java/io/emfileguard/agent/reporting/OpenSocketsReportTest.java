package io.emfileguard.agent.reporting;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenSocketsReportTest {

    @Test
    void groupsByCallSiteWhenStacksAreTracked() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate);
        registry.setTrackStacks(true);
        Object a = new Object();
        Object b = new Object();
        com.example.app.Opener.open(gate, registry, a);
        com.example.app.Opener.open(gate, registry, b);
        String report = OpenSocketsReport.render(gate, registry, true);
        assertTrue(report.contains("2 counted (2 tracked)"), report);
        assertTrue(report.contains("(not connected)"), report);
        assertTrue(report.contains("       2          0.0  com.example.app.Opener.open(Opener.java:"), report);
    }

    @Test
    void callSiteSkipsJdkAndAgentFrames() {
        StackTraceElement[] stack = {
            new StackTraceElement("io.emfileguard.core.SocketRegistry", "track", "SocketRegistry.java", 1),
            new StackTraceElement("sun.nio.ch.NioSocketImpl", "create", "NioSocketImpl.java", 2),
            new StackTraceElement("java.net.Socket", "connect", "Socket.java", 3),
            new StackTraceElement("okhttp3.internal.Conn", "connect", "Conn.kt", 4),
        };
        assertEquals("okhttp3.internal.Conn.connect(Conn.kt:4)", OpenSocketsReport.callSite(stack));
    }
}
