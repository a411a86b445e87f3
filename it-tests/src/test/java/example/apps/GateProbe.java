package example.apps;

import io.emfileguard.testsupport.SocketTables;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * How the child programs look at the agent without knowing it: its MBean, by name, through the
 * platform MBean server (null where there is no such MBean), and the process's own socket
 * descriptors in {@code /proc/self/fd}. Output meant for the test, not part of an application's own
 * output, goes to the file named by {@code -Dit.probe.file} ({@link #report}).
 */
public final class GateProbe {
    public static final String NAME = "io.emfileguard:type=SocketGate";
    public static final String[] ATTRIBUTES = {
        "OpenSockets", "PeakOpenSockets", "MaxSockets", "WaitingThreads", "WaitsTotal", "TimeoutsTotal",
        "WaitTimeMillisTotal", "OverCapTotal", "CollectedSocketsTotal", "LeakedChannelsTotal",
        "ReclaimedSocketsTotal", "EffectiveMaxSockets", "RefusedConnectsTotal", "HandedBackSocketsTotal",
        "GcRequestsTotal"
    };

    private GateProbe() {
    }

    private static ObjectName name() {
        try {
            return new ObjectName(NAME);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits up to {@code millis} for the MBean to appear; @return whether it is there. */
    public static boolean await(long millis) throws InterruptedException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (true) {
            if (server.isRegistered(name())) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(20);
        }
    }

    public static boolean present() {
        return ManagementFactory.getPlatformMBeanServer().isRegistered(name());
    }

    /** An attribute as a number, or null if the MBean (or the attribute) is not there. */
    public static Long get(String attribute) {
        try {
            Object v = ManagementFactory.getPlatformMBeanServer().getAttribute(name(), attribute);
            return v == null ? null : ((Number) v).longValue();
        } catch (Exception e) {
            return null;
        }
    }

    /** OpenSockets; fails loudly if the MBean is missing (the caller checked {@link #await}). */
    public static long open() {
        Long v = get("OpenSockets");
        if (v == null) {
            throw new IllegalStateException("MBean " + NAME + " has no OpenSockets");
        }
        return v;
    }

    /** {@code key=value} for every attribute, or {@code mbean=absent}. */
    public static String describe() {
        if (!present()) {
            return "mbean=absent";
        }
        StringBuilder sb = new StringBuilder("mbean=present");
        for (String a : ATTRIBUTES) {
            sb.append(' ').append(a).append('=').append(get(a));
        }
        return sb.toString();
    }

    /**
     * TCP socket descriptors of this process, as the kernel lists them: sockets in
     * {@code /proc/self/fd} less those in the Unix-domain, netlink, UDP and raw tables (the JVM keeps
     * a Unix-domain socket of its own for name-service look-ups); -1 if they cannot be listed.
     */
    public static int socketFds() {
        return SocketTables.tcpSocketDescriptors(ProcessHandle.current().pid());
    }

    /** Appends a line to {@code -Dit.probe.file}, if set: what the test reads besides the app's output. */
    public static void report(String line) {
        String file = System.getProperty("it.probe.file");
        if (file == null) {
            return;
        }
        try {
            Files.write(Paths.get(file), (line + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }
}
