package io.emfileguard.agent.boot;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Defines the agent's core classes ({@code io.emfileguard.core}) in the bootstrap class loader, so
 * that advice inlined into {@code java.base} and {@code java.net.http} can call them.
 *
 * <p>Why not {@code Instrumentation.appendToBootstrapClassLoaderSearch}: on JDK 17 that prints
 * "Sharing is only supported for boot loader classes because bootstrap classpath has been appended"
 * on every start and turns class-data sharing off for the application's classes. Instead the agent
 * opens {@code jdk.internal.misc} to itself through {@link Instrumentation#redefineModule} (an
 * agent's right; no warning, no command-line flag) and defines the classes with the JDK's internal
 * {@code Unsafe.defineClass(..., loader=null, ...)}. Boot classes skip bytecode verification, which
 * also keeps start-up cheap.
 *
 * <p>Afterwards the application class loader finds these classes through parent delegation, so the
 * agent's own code and the inlined advice share one copy.
 */
public final class BootstrapInjector {

    public static final String CORE_PACKAGE = "io/emfileguard/core/";

    private BootstrapInjector() {
    }

    /**
     * @param modulesThatCallCore named modules whose classes receive advice (they must read the
     *                            bootstrap loader's unnamed module to link against the core)
     * @return the unnamed module of the bootstrap loader, which now holds the core
     */
    public static Module inject(Instrumentation inst, String probeClassName, Set<Module> modulesThatCallCore)
            throws Exception {
        // A name, not a Class: touching the class from here would load a second copy in the app loader.
        String probe = probeClassName;
        Class<?> existing = findBootClass(probe);
        if (existing == null) {
            defineAll(inst, readCoreClasses());
            existing = findBootClass(probe);
            if (existing == null) {
                throw new IllegalStateException("core classes were defined but are not visible in the boot loader");
            }
        }
        Module core = existing.getModule();
        // The idle reclaimer reads the JDK sockets' reader/writer threads and peer, and closes them;
        // sun.security.ssl: which socket a TLS socket is layered over (the one that holds the descriptor);
        // sun.net: the socket of a connection in HttpURLConnection's keep-alive cache.
        Module javaBase = Object.class.getModule();
        Map<String, Set<Module>> opens = new HashMap<>();
        for (String pkg : new String[] {"sun.nio.ch", "java.net", "java.nio.channels.spi", "sun.security.ssl", "sun.net"}) {
            if (!javaBase.isOpen(pkg, core)) {
                opens.put(pkg, Collections.singleton(core));
            }
        }
        if (!opens.isEmpty()) {
            inst.redefineModule(javaBase, Collections.emptySet(), Collections.emptyMap(), opens,
                    Collections.emptySet(), Collections.emptyMap());
        }
        for (Module m : modulesThatCallCore) {
            // The reclaimer closes an idle HttpClient connection through the client's own close(),
            // which tells the exchange using it (a bare channel close would leave it hanging).
            Map<String, Set<Module>> moduleOpens = new HashMap<>();
            if ("java.net.http".equals(m.getName()) && !m.isOpen("jdk.internal.net.http", core)) {
                moduleOpens.put("jdk.internal.net.http", Collections.singleton(core));
            }
            if (!m.canRead(core) || !moduleOpens.isEmpty()) {
                inst.redefineModule(m, Collections.singleton(core), Collections.emptyMap(),
                        moduleOpens, Collections.emptySet(), Collections.emptyMap());
            }
        }
        return core;
    }

    private static Class<?> findBootClass(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    /**
     * The core's class files, supertypes first (so no definition fails for a missing supertype).
     * A fixed list rather than a scan of the 3,000-entry agent jar; {@code CoreClassesTest} keeps it
     * complete.
     */
    static final String[] CORE_CLASSES = {
        "SocketGate$Listener", "SocketGate$Claim", "SocketGate$Reclaimer", "SocketHooks$Diagnostics",
        "IdleReclaimer$Listener", "GateSettings$OnTimeout", "GateSettings", "AddressRule",
        "SocketGate$Admission", "SocketGate$Waiter", "SocketGate$1", "SocketGate$Listener$1", "SocketGate",
        "SocketGateInterruptedException", "SocketGateTimeoutException", "SocketGateRefusedException", "HttpClientAccount", "RefusedExchange",
        "SocketRegistry$Probe", "SocketRegistry$Tracked", "SocketRegistry$OpenSocket", "SocketRegistry", "SocketIntrospection$Access", "SocketIntrospection$1", "SocketIntrospection$2", "SocketIntrospection$3", "SocketIntrospection$4", "SocketIntrospection", "SocketGate$Sampler", "DescriptorGuard",
        "IdleReclaimer$1", "IdleReclaimer",
        "ThreadPolicy$1", "ThreadPolicy", "SocketHooks$Diagnostics$1", "SocketHooks$ExchangeEnd", "SocketHooks",
    };

    /**
     * Reads the core's class files straight from the agent jar (or the class directory, in
     * development): {@code ClassLoader.getResourceAsStream} goes through URL connections and costs
     * several milliseconds per class on a cold JVM.
     */
    static Map<String, byte[]> readCoreClasses() throws IOException {
        Map<String, byte[]> result = new java.util.LinkedHashMap<>();
        java.io.File location;
        try {
            location = new java.io.File(BootstrapInjector.class.getProtectionDomain().getCodeSource()
                    .getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException("the agent's location is not a file", e);
        }
        if (location.isDirectory()) {
            for (String simple : CORE_CLASSES) {
                String path = CORE_PACKAGE + simple + ".class";
                result.put(path, java.nio.file.Files.readAllBytes(new java.io.File(location, path).toPath()));
            }
            return result;
        }
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(location)) {
            for (String simple : CORE_CLASSES) {
                String path = CORE_PACKAGE + simple + ".class";
                java.util.zip.ZipEntry entry = jar.getEntry(path);
                if (entry == null) {
                    throw new IOException("core class file missing from the agent jar: " + path);
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    result.put(path, in.readAllBytes());
                }
            }
        }
        return result;
    }

    private static void defineAll(Instrumentation inst, Map<String, byte[]> classes) throws Exception {
        Module javaBase = Object.class.getModule();
        Module self = BootstrapInjector.class.getModule();
        Map<String, Set<Module>> opens = new HashMap<>();
        opens.put("jdk.internal.misc", Collections.singleton(self));
        inst.redefineModule(javaBase, Collections.emptySet(), Collections.emptyMap(), opens,
                Collections.emptySet(), Collections.emptyMap());
        Class<?> unsafeType = Class.forName("jdk.internal.misc.Unsafe");
        Object unsafe = unsafeType.getMethod("getUnsafe").invoke(null);
        Method define = unsafeType.getMethod("defineClass", String.class, byte[].class, int.class, int.class,
                ClassLoader.class, java.security.ProtectionDomain.class);

        // Supertypes must exist before their subtypes; retry until no progress instead of sorting.
        List<String> pending = new ArrayList<>(classes.keySet());
        Set<String> failed = new HashSet<>();
        Throwable lastError = null;
        while (!pending.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (String path : pending) {
                String name = path.substring(0, path.length() - ".class".length()).replace('/', '.');
                byte[] bytes = classes.get(path);
                try {
                    define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof LinkageError && findBootClass(name) != null) {
                        continue; // defined concurrently (a second copy of the agent): fine
                    }
                    lastError = cause;
                    next.add(path);
                }
            }
            if (next.size() == pending.size()) {
                failed.addAll(next);
                break;
            }
            pending = next;
        }
        if (!failed.isEmpty()) {
            throw new IllegalStateException("could not define " + failed + " in the boot loader", lastError);
        }
    }
}
