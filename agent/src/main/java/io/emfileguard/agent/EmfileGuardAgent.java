package io.emfileguard.agent;

import io.emfileguard.agent.boot.BootstrapInjector;
import io.emfileguard.agent.reporting.AgentLog;

import java.lang.instrument.Instrumentation;

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
            java.nio.file.Files.write(java.nio.file.Paths.get(file),
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (Throwable t) {
            System.err.println("emfile-guard: ERROR could not write the report: " + t);
        }
    }

    public static void main(String[] args) throws Exception {
        Doctor.main(args);
    }

    private static synchronized void start(String args, Instrumentation inst, boolean attached) {
        long t0 = System.nanoTime();
        try {
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

    private static boolean alreadyActiveInBootLoader() {
        try {
            Class<?> hooks = Class.forName(CORE_PROBE, false, null);
            return hooks.getMethod("gate").invoke(null) != null;
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }
}
