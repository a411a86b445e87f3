package io.emfileguard.agent.interception;

import io.emfileguard.agent.boot.BootstrapInjector;
import io.emfileguard.agent.reporting.AgentLog;
import io.emfileguard.core.SocketHooks;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Registers the {@link WeavingTransformer} for the points of {@link InterceptionPoints} that the
 * settings ask for, and retransforms the targets that were loaded before the agent. Nothing else at
 * start-up: a target that loads later is woven as it loads (the JDK's socket classes at the first
 * socket, java.net.http at the first HttpClient, libraries if the application has them).
 */
public final class Interceptions {

    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final Reporter reporter = new Reporter();
    private final Map<String, List<InterceptionPoint>> byInternalName = new HashMap<>();
    private Set<String> loadedBefore = Collections.emptySet();

    public Interceptions() {
    }

    /**
     * Must run before the application starts, so that no target loads unwoven.
     * @return the JDK classes this agent weaves with these settings
     */
    public List<String> register(Instrumentation inst, Set<InterceptionPoint.Needs> needs) {
        List<String> jdkTargets = new ArrayList<>();
        for (InterceptionPoint p : InterceptionPoints.selected(needs)) {
            List<InterceptionPoint> forClass = byInternalName.get(p.internalClassName());
            if (forClass == null) {
                forClass = new ArrayList<>();
                byInternalName.put(p.internalClassName(), forClass);
                if (p.inJdk()) {
                    jdkTargets.add(p.className);
                }
            }
            forClass.add(p);
        }
        final Module core = SocketHooks.class.getModule();
        // An inner class, not a lambda: the first lambda of a JVM spins method-handle classes.
        inst.addTransformer(new WeavingTransformer(byInternalName, reporter, new Consumer<Module>() {
            @Override
            public void accept(Module m) {
                BootstrapInjector.letModuleCallCore(inst, m, core);
            }
        }), true);
        loadedBefore = retransformLoadedTargets(inst);
        return jdkTargets;
    }

    /** Whether {@code className} was already loaded when the agent started (and so was retransformed). */
    public boolean wasLoadedBeforeAgent(String className) {
        return loadedBefore.contains(className);
    }

    private Set<String> retransformLoadedTargets(Instrumentation inst) {
        Set<String> targets = new HashSet<>();
        for (String internal : byInternalName.keySet()) {
            targets.add(internal.replace('/', '.'));
        }
        Set<String> names = new HashSet<>();
        List<Class<?>> loaded = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) { // several hundred: no per-class allocation here
            if (targets.contains(c.getName())) {
                loaded.add(c);
                names.add(c.getName());
            }
        }
        for (Class<?> c : loaded) {
            try {
                inst.retransformClasses(c);
            } catch (Throwable t) {
                reporter.failed(c.getName(), t);
            }
        }
        return names;
    }

    private boolean isLibrary(String className) {
        List<InterceptionPoint> points = byInternalName.get(className.replace('.', '/'));
        return points != null && !points.get(0).inJdk();
    }

    /** What a library's class left unwoven costs its client. */
    static String withoutIt(InterceptionPoint p) {
        return p.needs == InterceptionPoint.Needs.ALWAYS
                ? "at the cap this client's sockets are counted, not held"
                : "reclaimed idle connections of this client are found closed only by its own checks";
    }

    /** Says each problem once; the rest of the agent keeps working. */
    final class Reporter implements Weaver.Problems {
        void warnOnce(String key, String message) {
            if (reported.add(key)) {
                AgentLog.get().warn(message);
            }
        }

        @Override
        public void missing(InterceptionPoint p, String what) {
            if (!p.inJdk()) {
                warnOnce(p.toString(), "interception point " + p + " does not exist in this version of the "
                        + "library (" + what + " missing); it is skipped (" + withoutIt(p) + "), everything else "
                        + "works.");
                return;
            }
            warnOnce(p.toString(), "interception point " + p + " does not exist on this JDK ("
                    + System.getProperty("java.version") + ", " + what + " missing); it is skipped, everything "
                    + "else works.");
        }

        void failed(String className, Throwable t) {
            warnOnce("error:" + className, "could not instrument " + className + " (" + t
                    + (isLibrary(className) ? "); it is left as it is. Everything else works."
                    : "); sockets it creates are not counted. Everything else works."));
        }
    }
}
