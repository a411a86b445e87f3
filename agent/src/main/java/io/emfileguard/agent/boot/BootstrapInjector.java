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
     * Reads every class file of the core package straight from the agent jar (or the class directory,
     * in development): {@code ClassLoader.getResourceAsStream} goes through URL connections and
     * costs several milliseconds per class on a cold JVM. The jar holds a few hundred entries (only
     * the ASM part of Byte Buddy is shipped), so one pass over them costs next to nothing.
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
            java.io.File dir = new java.io.File(location, CORE_PACKAGE);
            String[] names = dir.list();
            if (names == null) {
                throw new IOException("no core classes in " + dir);
            }
            java.util.Arrays.sort(names);
            for (String name : names) {
                if (name.endsWith(".class")) {
                    result.put(CORE_PACKAGE + name, java.nio.file.Files.readAllBytes(new java.io.File(dir, name).toPath()));
                }
            }
            return result;
        }
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(location)) {
            java.util.Enumeration<? extends java.util.zip.ZipEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                java.util.zip.ZipEntry entry = entries.nextElement();
                String path = entry.getName();
                if (path.startsWith(CORE_PACKAGE) && path.endsWith(".class") && path.indexOf('/', CORE_PACKAGE.length()) < 0) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        result.put(path, in.readAllBytes());
                    }
                }
            }
        }
        if (result.isEmpty()) {
            throw new IOException("no core classes in the agent jar " + location);
        }
        return result;
    }

    /**
     * Defines the first class with the JDK's internal {@code Unsafe.defineClass(..., loader=null, ...)}
     * (one reflective call), and every other one through a {@link java.lang.invoke.MethodHandles.Lookup}
     * on that first class: public API, no reflection per class (reflection would spin a generated
     * accessor after 15 calls).
     */
    private static void defineAll(Instrumentation inst, Map<String, byte[]> classes) throws Exception {
        List<String> order = supertypesFirst(classes);
        Class<?> first = defineWithUnsafe(inst, order.get(0), classes.get(order.get(0)));
        java.lang.invoke.MethodHandles.Lookup lookup =
                java.lang.invoke.MethodHandles.privateLookupIn(first, java.lang.invoke.MethodHandles.lookup());
        for (String path : order.subList(1, order.size())) {
            try {
                lookup.defineClass(classes.get(path));
            } catch (LinkageError e) {
                if (findBootClass(binaryName(path)) == null) {
                    throw new IllegalStateException("could not define " + binaryName(path) + " in the boot loader", e);
                }
                // defined concurrently (a second copy of the agent): fine
            }
        }
    }

    private static Class<?> defineWithUnsafe(Instrumentation inst, String path, byte[] bytes) throws Exception {
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
        String name = binaryName(path);
        try {
            return (Class<?>) define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Class<?> existing = findBootClass(name);
            if (e.getCause() instanceof LinkageError && existing != null) {
                return existing; // defined concurrently
            }
            throw e;
        }
    }

    /** The class files ordered so that a core supertype always comes before its subtypes. */
    static List<String> supertypesFirst(Map<String, byte[]> classes) {
        Map<String, List<String>> coreSupertypes = new HashMap<>();
        for (Map.Entry<String, byte[]> e : classes.entrySet()) {
            net.bytebuddy.jar.asm.ClassReader reader = new net.bytebuddy.jar.asm.ClassReader(e.getValue());
            List<String> supers = new ArrayList<>();
            if (reader.getSuperName() != null) {
                supers.add(reader.getSuperName() + ".class");
            }
            for (String i : reader.getInterfaces()) {
                supers.add(i + ".class");
            }
            supers.retainAll(classes.keySet());
            coreSupertypes.put(e.getKey(), supers);
        }
        List<String> order = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        for (String path : classes.keySet()) {
            place(path, coreSupertypes, placed, order);
        }
        return order;
    }

    private static void place(String path, Map<String, List<String>> supertypes, Set<String> placed, List<String> order) {
        if (placed.add(path)) {
            for (String s : supertypes.get(path)) {
                place(s, supertypes, placed, order);
            }
            order.add(path);
        }
    }

    private static String binaryName(String path) {
        return path.substring(0, path.length() - ".class".length()).replace('/', '.');
    }
}
