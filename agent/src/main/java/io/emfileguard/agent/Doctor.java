package io.emfileguard.agent;

import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.config.ConfigResolver;
import io.emfileguard.agent.config.DescriptorLimit;
import io.emfileguard.agent.config.Setting;

import java.io.PrintStream;

/**
 * {@code java -jar emfile-guard-agent.jar}: what the agent would do in this environment: version,
 * effective settings and where each came from, the descriptor limits, whether each interception
 * point exists on this JDK.
 */
final class Doctor {
    private Doctor() {
    }

    static void main(String[] args) {
        PrintStream out = System.out;
        String agentArgs = args.length > 0 ? String.join(",", args) : null;
        DescriptorLimit limit = DescriptorLimit.ofCurrentProcess();
        AgentConfig config = ConfigResolver.resolve(agentArgs, System.getenv(), System.getProperties(), limit);
        out.println(Version.get() + " on Java " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vm.name") + ")");
        out.println();
        out.println("descriptor limit: soft " + (limit.soft() < 0 ? "unknown" : limit.soft())
                + ", hard " + (limit.hard() < 0 ? "unknown" : limit.hard()));
        out.println();
        out.println("settings (system property emfileguard.<key> > env EMFILEGUARD_<KEY> > agent argument > default):");
        for (Setting s : Setting.values()) {
            out.printf("  %-16s %-24s %s%n", s.key, config.valueOf(s), config.sourceOf(s).label);
        }
        for (String p : config.problems()) {
            out.println("  problem: " + p);
        }
        out.println();
        out.println("interception points on this JDK:");
        for (String c : new String[] {"sun.nio.ch.NioSocketImpl", "sun.nio.ch.SelectorProviderImpl",
                "sun.nio.ch.SocketChannelImpl", "sun.nio.ch.ServerSocketChannelImpl", "java.net.Socket"}) {
            boolean present = ClassLoader.getSystemResource(c.replace('.', '/') + ".class") != null;
            out.printf("  %-40s %s%n", c, present ? "present" : "MISSING");
        }
        out.println();
        out.println("attach with: -javaagent:<path>/emfile-guard-agent.jar  (or JAVA_TOOL_OPTIONS)");
    }
}
