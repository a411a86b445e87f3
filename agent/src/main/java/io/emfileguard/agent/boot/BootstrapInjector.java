package io.emfileguard.agent.boot;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.function.BiFunction;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Defines the agent's core classes ({@code io.emfileguard.core} and its subpackages) in the bootstrap class loader, so
 * that advice inlined into {@code java.base} and {@code java.net.http} can call them.
 *
 * <p>Why not {@code Instrumentation.appendToBootstrapClassLoaderSearch}: on JDK 17 that prints
 * "Sharing is only supported for boot loader classes because bootstrap classpath has been appended"
 * on every start and turns class-data sharing off for the application's classes. Instead the agent
 * exports {@code jdk.internal.misc} to a tiny class of its own through
 * {@link Instrumentation#redefineModule} (an agent's right; no warning, no command-line flag), which
 * defines the classes with the JDK's internal {@code Unsafe.defineClass(..., loader=null, ...)}.
 * Boot classes skip bytecode verification, which also keeps start-up cheap.
 *
 * <p>Afterwards the application class loader finds these classes through parent delegation, so the
 * agent's own code and the inlined advice share one copy.
 */
public final class BootstrapInjector {

    public static final String CORE_PACKAGE = "io/emfileguard/core/";

    private BootstrapInjector() {
    }

    /**
     * Defines the core in the boot loader (unless the boot class path or a copy of the agent already
     * did) and lets {@code java.base} call it.
     * @return the unnamed module of the bootstrap loader, which now holds the core
     */
    public static Module inject(Instrumentation inst, String probeClassName) throws Exception {
        // A name, not a Class: touching the class from here would load a second copy in the app loader.
        Class<?> existing = findBootClass(probeClassName);
        if (existing == null) {
            defineAll(inst, readCoreClasses());
            existing = findBootClass(probeClassName);
            if (existing == null) {
                throw new IllegalStateException("core classes were defined but are not visible in the boot loader");
            }
        }
        Module core = existing.getModule();
        Module javaBase = Object.class.getModule();
        if (!javaBase.canRead(core)) { // woven java.base code calls the core
            inst.redefineModule(javaBase, Collections.singleton(core), Collections.emptyMap(), Collections.emptyMap(),
                    Collections.emptySet(), Collections.emptyMap());
        }
        return core;
    }

    /**
     * Opens to the core the {@code java.base} packages whose sockets it reads reflectively: the idle
     * reclaimer reads the JDK sockets' reader/writer threads and peer, and closes them;
     * sun.security.ssl: which socket a TLS socket is layered over (the one that holds the descriptor);
     * sun.net: the socket of a connection in HttpURLConnection's keep-alive cache. Run when the core
     * first needs it ({@code SocketHooks.whenIntrospectionNeeded}), not at start-up.
     */
    public static void openForIntrospection(Instrumentation inst, Module core) {
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
    }

    /**
     * A class of the named module {@code m} is being woven: its code will call the core, so {@code m}
     * must read the core's module. For {@code java.net.http} the reclaimer also closes an idle
     * HttpClient connection through the client's own {@code close()}, which tells the exchange using
     * it (a bare channel close would leave it hanging). Done as each module's first class is woven,
     * not at start-up: most applications never load java.net.http.
     */
    public static void letModuleCallCore(Instrumentation inst, Module m, Module core) {
        Map<String, Set<Module>> moduleOpens = new HashMap<>();
        if ("java.net.http".equals(m.getName()) && !m.isOpen("jdk.internal.net.http", core)) {
            moduleOpens.put("jdk.internal.net.http", Collections.singleton(core));
        }
        if (!m.canRead(core) || !moduleOpens.isEmpty()) {
            inst.redefineModule(m, Collections.singleton(core), Collections.emptyMap(), moduleOpens,
                    Collections.emptySet(), Collections.emptyMap());
        }
    }

    private static Class<?> findBootClass(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null; // not in the boot loader (yet): the answer asked for
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
            if (dir.list() == null) {
                throw new IOException("no core classes in " + dir);
            }
            readCoreDirectory(dir, CORE_PACKAGE, result);
            return result;
        }
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(location)) {
            java.util.Enumeration<? extends java.util.zip.ZipEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                java.util.zip.ZipEntry entry = entries.nextElement();
                String path = entry.getName();
                if (path.startsWith(CORE_PACKAGE) && path.endsWith(".class")) { // the client families' packages included
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

    /** The class files under {@code dir} (the core's package {@code path}) and its subpackages, sorted. */
    private static void readCoreDirectory(java.io.File dir, String path, Map<String, byte[]> result) throws IOException {
        String[] names = dir.list();
        java.util.Arrays.sort(names);
        for (String name : names) {
            java.io.File f = new java.io.File(dir, name);
            if (f.isDirectory()) {
                readCoreDirectory(f, path + name + "/", result);
            } else if (name.endsWith(".class")) {
                result.put(path + name, java.nio.file.Files.readAllBytes(f.toPath()));
            }
        }
    }

    /**
     * Defines the core classes in the boot loader with the JDK's internal
     * {@code Unsafe.defineClass(..., loader=null, ...)}, called directly from a tiny class generated
     * here ({@link #unsafeDefiner}) rather than through reflection: on JDK 18+ a reflective call
     * spins method-handle classes, some 25 ms of a cold start on JDK 25, and
     * {@code Lookup.defineClass} can only define into its own package.
     */
    private static void defineAll(Instrumentation inst, Map<String, byte[]> classes) throws Exception {
        BiFunction<String, byte[], Class<?>> define = unsafeDefiner(inst);
        for (String path : supertypesFirst(classes)) {
            String name = binaryName(path);
            try {
                define.apply(name, classes.get(path));
            } catch (LinkageError e) {
                if (findBootClass(name) == null) {
                    throw new IllegalStateException("could not define " + name + " in the boot loader", e);
                }
                // defined concurrently (a second copy of the agent): fine
            }
        }
    }

    /** Where the generated definer puts itself when it is initialised (no reflective constructor call). */
    public static final class DefinerSlot {
        public static volatile BiFunction<String, byte[], Class<?>> value;

        private DefinerSlot() {
        }
    }

    private static final String DEFINER = "io/emfileguard/agent/boot/UnsafeDefiner";

    /**
     * A class, written with ASM and defined in a class loader of its own, whose {@code apply(name,
     * bytes)} is {@code Unsafe.getUnsafe().defineClass(name, bytes, 0, bytes.length, null, null)}.
     * {@code java.base} exports {@code jdk.internal.misc} to that loader's unnamed module only (an
     * agent's right through {@link Instrumentation#redefineModule}; no warning, no flag).
     */
    private static BiFunction<String, byte[], Class<?>> unsafeDefiner(Instrumentation inst) throws Exception {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, DEFINER,
                null, "java/lang/Object", new String[] {"java/util/function/BiFunction"});
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor clinit = cw.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        clinit.visitTypeInsn(Opcodes.NEW, DEFINER);
        clinit.visitInsn(Opcodes.DUP);
        clinit.visitMethodInsn(Opcodes.INVOKESPECIAL, DEFINER, "<init>", "()V", false);
        clinit.visitFieldInsn(Opcodes.PUTSTATIC, Type.getInternalName(DefinerSlot.class), "value",
                "Ljava/util/function/BiFunction;");
        clinit.visitInsn(Opcodes.RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();
        MethodVisitor apply = cw.visitMethod(Opcodes.ACC_PUBLIC, "apply",
                "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;", null, null);
        apply.visitCode();
        apply.visitMethodInsn(Opcodes.INVOKESTATIC, "jdk/internal/misc/Unsafe", "getUnsafe",
                "()Ljdk/internal/misc/Unsafe;", false);
        apply.visitVarInsn(Opcodes.ALOAD, 1);
        apply.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/String");
        apply.visitVarInsn(Opcodes.ALOAD, 2);
        apply.visitTypeInsn(Opcodes.CHECKCAST, "[B");
        apply.visitInsn(Opcodes.ICONST_0);
        apply.visitVarInsn(Opcodes.ALOAD, 2);
        apply.visitTypeInsn(Opcodes.CHECKCAST, "[B");
        apply.visitInsn(Opcodes.ARRAYLENGTH);
        apply.visitInsn(Opcodes.ACONST_NULL);
        apply.visitInsn(Opcodes.ACONST_NULL);
        apply.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jdk/internal/misc/Unsafe", "defineClass",
                "(Ljava/lang/String;[BIILjava/lang/ClassLoader;Ljava/security/ProtectionDomain;)Ljava/lang/Class;",
                false);
        apply.visitInsn(Opcodes.ARETURN);
        apply.visitMaxs(0, 0);
        apply.visitEnd();
        cw.visitEnd();
        byte[] bytes = cw.toByteArray();

        DefinerLoader loader = new DefinerLoader(BootstrapInjector.class.getClassLoader());
        inst.redefineModule(Object.class.getModule(), Collections.emptySet(),
                Collections.singletonMap("jdk.internal.misc", Collections.singleton(loader.getUnnamedModule())),
                Collections.emptyMap(), Collections.emptySet(), Collections.emptyMap());
        Class.forName(loader.define(DEFINER.replace('/', '.'), bytes).getName(), true, loader);
        BiFunction<String, byte[], Class<?>> definer = DefinerSlot.value;
        DefinerSlot.value = null;
        return definer;
    }

    /** The generated definer's own loader: only it is given access to jdk.internal.misc. */
    private static final class DefinerLoader extends ClassLoader {
        DefinerLoader(ClassLoader parent) {
            super(parent);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }

    /** The class files ordered so that a core supertype always comes before its subtypes. */
    static List<String> supertypesFirst(Map<String, byte[]> classes) {
        Map<String, List<String>> coreSupertypes = new HashMap<>();
        for (Map.Entry<String, byte[]> e : classes.entrySet()) {
            ClassReader reader = new ClassReader(e.getValue());
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
