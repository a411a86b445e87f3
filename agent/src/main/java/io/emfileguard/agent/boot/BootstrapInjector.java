package io.emfileguard.agent.boot;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

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
            Map<String, byte[]> classes = readCoreClasses();
            defineAll(inst, classes);
            existing = findBootClass(probe);
            if (existing == null) {
                throw new IllegalStateException("core classes were defined but are not visible in the boot loader");
            }
        }
        Module core = existing.getModule();
        // The idle reclaimer reads the JDK sockets' reader/writer threads and peer, and closes them.
        Module javaBase = Object.class.getModule();
        Map<String, Set<Module>> opens = new HashMap<>();
        for (String pkg : new String[] {"sun.nio.ch", "java.net"}) {
            if (!javaBase.isOpen(pkg, core)) {
                opens.put(pkg, Collections.singleton(core));
            }
        }
        if (!opens.isEmpty()) {
            inst.redefineModule(javaBase, Collections.emptySet(), Collections.emptyMap(), opens,
                    Collections.emptySet(), Collections.emptyMap());
        }
        for (Module m : modulesThatCallCore) {
            if (!m.canRead(core)) {
                inst.redefineModule(m, Collections.singleton(core), Collections.emptyMap(),
                        Collections.emptyMap(), Collections.emptySet(), Collections.emptyMap());
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

    /** Reads the core's class files from the agent jar (or the class directory, in development). */
    static Map<String, byte[]> readCoreClasses() throws IOException {
        Map<String, byte[]> result = new HashMap<>();
        java.security.CodeSource cs = BootstrapInjector.class.getProtectionDomain().getCodeSource();
        java.io.File location;
        try {
            location = new java.io.File(cs.getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException("agent location is not a file: " + cs.getLocation(), e);
        }
        if (location.isDirectory()) {
            java.io.File dir = new java.io.File(location, CORE_PACKAGE);
            java.io.File[] files = dir.listFiles();
            if (files != null) {
                for (java.io.File f : files) {
                    if (f.getName().endsWith(".class")) {
                        result.put(CORE_PACKAGE + f.getName(), java.nio.file.Files.readAllBytes(f.toPath()));
                    }
                }
            }
        } else {
            try (JarFile jar = new JarFile(location, false)) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    String n = e.getName();
                    if (n.startsWith(CORE_PACKAGE) && n.endsWith(".class") && n.indexOf('/', CORE_PACKAGE.length()) < 0) {
                        try (InputStream in = jar.getInputStream(e)) {
                            result.put(n, in.readAllBytes());
                        }
                    }
                }
            }
        }
        if (result.isEmpty()) {
            throw new IOException("no core classes found at " + location);
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
