package io.emfileguard.agent;

import io.emfileguard.agent.boot.BootstrapInjector;
import io.emfileguard.agent.reporting.AgentLog;

import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Entry point: {@code -javaagent} ({@link #premain}), dynamic attach ({@link #agentmain}) and
 * {@code java -jar} ({@link #main}, the doctor). It only puts the core into the boot loader and hands
 * over to {@link AgentStartup}; whatever happens, the application starts.
 */
public final class EmfileGuardAgent {

    static final String CORE_PROBE = "io.emfileguard.core.SocketHooks";
    private static volatile boolean installed;

    private EmfileGuardAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        start(args, inst, false);
    }

    public static void agentmain(String args, Instrumentation inst) {
        if (args != null && args.startsWith(REPORT_ARGUMENT)) {
            writeReport(args.substring(REPORT_ARGUMENT.length()));
            return;
        }
        start(args, inst, true);
    }

    /** {@code --report <pid>}: the doctor attaches with this argument and reads the file back. */
    static final String REPORT_ARGUMENT = "report=";

    private static void writeReport(String file) {
        try {
            String text = installed ? AgentStartup.report()
                    : "emfile-guard is not active in this JVM (attach it with --attach <pid>)\n";
            Files.write(Paths.get(file),
                    text.getBytes(StandardCharsets.UTF_8));
        } catch (Throwable t) {
            System.err.println("emfile-guard: ERROR could not write the report: " + t);
        }
    }

    public static void main(String[] args) throws Exception {
        Doctor.main(args);
    }

    private static void start(String args, Instrumentation inst, boolean attached) {
        start(args, inst, attached, unsupportedJdk(System.getProperty("java.version"), hasNioSocketImpl()));
    }

    /**
     * @param unsupported why this JDK is one where the agent cannot do its job, or null: then it
     *        prints that in one line and touches nothing (no transformer, no boot-loader classes, no
     *        module changes, no MBean), so the application runs exactly as without it
     */
    static synchronized void start(String args, Instrumentation inst, boolean attached, String unsupported) {
        long t0 = System.nanoTime();
        try {
            if (unsupported != null) {
                AgentLog.get().warn("not active: {}; the application runs without it", unsupported);
                return;
            }
            // Loaded by the boot loader (the jar's Boot-Class-Path), every copy of this class is this one:
            // 'installed' says it all. Loaded by the application's loader, another copy may be active.
            if (installed || (EmfileGuardAgent.class.getClassLoader() != null && alreadyActiveInBootLoader())) {
                AgentLog.get().info("already active in this JVM; nothing changed");
                return;
            }
            // Core first: no class loaded before this line may refer to io.emfileguard.core, or the
            // application class loader would define a second copy of it (see AgentStartup).
            BootstrapInjector.inject(inst, CORE_PROBE);
            installed = AgentStartup.run(args, inst, attached, t0);
        } catch (Throwable t) {
            // Never worse than no agent: the application runs unprotected, and says so once.
            System.err.println("emfile-guard: ERROR could not start, the application runs without it: " + t);
        }
    }

    /**
     * Why the agent cannot work on this JDK, or null where it can. Blocking sockets get their
     * descriptors in {@code sun.nio.ch.NioSocketImpl}, the JDK's socket implementation since Java 13:
     * on Java 11 there is none, so the agent would count no blocking socket and cap nothing that
     * matters. It then stays out of the way instead of pretending.
     */
    static String unsupportedJdk(String javaVersion, boolean hasNioSocketImpl) {
        if (hasNioSocketImpl) {
            return null;
        }
        return "Java " + javaVersion + " has no sun.nio.ch.NioSocketImpl (Java 13 and later have it), so the agent "
                + "cannot see blocking sockets (tested on Java 17, 21 and 25)";
    }

    /** Without loading it: Java 13+ always has it (no look-up at start-up); older ones are asked. */
    static boolean hasNioSocketImpl() {
        if (featureVersion(System.getProperty("java.specification.version")) >= 13) {
            return true;
        }
        return ClassLoader.getSystemResource("sun/nio/ch/NioSocketImpl.class") != null;
    }

    /** "11" -> 11, "1.8" -> 1 (older than 9 reads as below 13 too); no Runtime.version(): it parses with a regex. */
    static int featureVersion(String specificationVersion) {
        int n = 0;
        if (specificationVersion != null) {
            for (int i = 0; i < specificationVersion.length(); i++) {
                char c = specificationVersion.charAt(i);
                if (c < '0' || c > '9') {
                    break;
                }
                n = n * 10 + (c - '0');
            }
        }
        return n;
    }

    private static boolean alreadyActiveInBootLoader() {
        try {
            Class<?> hooks = Class.forName(CORE_PROBE, false, null);
            return hooks.getMethod("gate").invoke(null) != null;
        } catch (ReflectiveOperationException | LinkageError e) {
            return false; // no core in the boot loader (or not ours): not active there
        }
    }
}
