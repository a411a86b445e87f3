package io.emfileguard.agent.reporting;

import io.emfileguard.core.GateStats;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketIntrospection;
import io.emfileguard.core.SocketRegistry;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The leak report: who holds the sockets. Open sockets grouped by peer host:port with count, oldest
 * age and shortest idle time; with {@code track.stacks=true} also grouped by the first
 * application frame that opened them. Host:port at most: no URLs, no payloads.
 */
public final class OpenSocketsReport {
    private OpenSocketsReport() {
    }

    public static String render(SocketGate gate, SocketRegistry registry, boolean stacksTracked) {
        List<SocketRegistry.OpenSocket> open = registry.snapshot();
        Map<String, Group> byPeer = new HashMap<>();
        Map<String, Group> bySite = new HashMap<>();
        for (SocketRegistry.OpenSocket s : open) {
            InetSocketAddress peer = SocketIntrospection.peer(s.owner);
            String key = (peer == null ? "(not connected)" : peer.getHostString() + ":" + peer.getPort())
                    + (s.accepted ? " [accepted]" : s.heldBy != null ? " [" + s.heldBy + "]" : "");
            byPeer.computeIfAbsent(key, k -> new Group()).add(s);
            if (s.openedAt != null) {
                bySite.computeIfAbsent(callSite(s.openedAt), k -> new Group()).add(s);
            }
        }
        StringBuilder out = new StringBuilder();
        GateStats stats = gate.stats();
        out.append("emfile-guard open sockets at ").append(Instant.now()).append(": ").append(stats.openSockets)
                .append(" counted (").append(open.size()).append(" tracked), cap ").append(stats.effectiveMaxSockets)
                .append(", peak ").append(stats.peakOpenSockets).append(", ").append(stats.waitingThreads)
                .append(" threads waiting\n");
        out.append(String.format("%8s %12s %12s  %s%n", "sockets", "oldest (s)", "idle min (s)", "peer"));
        for (Map.Entry<String, Group> e : sorted(byPeer)) {
            Group g = e.getValue();
            out.append(String.format("%8d %12.1f %12.1f  %s%n", g.count, g.oldestMillis / 1000.0,
                    g.minIdleMillis / 1000.0, e.getKey()));
        }
        if (stacksTracked) {
            out.append("opened from (track.stacks=true):\n");
            for (Map.Entry<String, Group> e : sorted(bySite)) {
                out.append(String.format("%8d %12.1f  %s%n", e.getValue().count, e.getValue().oldestMillis / 1000.0,
                        e.getKey()));
            }
        } else {
            out.append("(set emfileguard.track.stacks=true to see where they were opened)\n");
        }
        return out.toString();
    }

    /** The first frame outside the JDK and the agent: the code that asked for the socket. */
    static String callSite(StackTraceElement[] stack) {
        for (StackTraceElement f : stack) {
            String c = f.getClassName();
            if (!(c.startsWith("java.") || c.startsWith("javax.") || c.startsWith("jdk.") || c.startsWith("sun.")
                    || c.startsWith("com.sun.") || c.startsWith("io.emfileguard."))) {
                return f.toString();
            }
        }
        return stack.length > 0 ? stack[stack.length - 1].toString() : "(unknown)";
    }

    private static List<Map.Entry<String, Group>> sorted(Map<String, Group> groups) {
        List<Map.Entry<String, Group>> list = new ArrayList<>(groups.entrySet());
        list.sort((a, b) -> b.getValue().count != a.getValue().count
                ? Integer.compare(b.getValue().count, a.getValue().count) : a.getKey().compareTo(b.getKey()));
        return list;
    }

    private static final class Group {
        int count;
        long oldestMillis;
        long minIdleMillis = Long.MAX_VALUE;

        void add(SocketRegistry.OpenSocket s) {
            count++;
            oldestMillis = Math.max(oldestMillis, s.ageMillis);
            minIdleMillis = Math.min(minIdleMillis, s.idleMillis);
        }
    }
}
