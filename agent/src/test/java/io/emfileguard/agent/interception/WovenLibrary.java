package io.emfileguard.agent.interception;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * For tests of a library family's hooks: a class loader that defines the named classes itself (a
 * library's stand-ins, and their subclasses), each woven with the rows {@link InterceptionPoints}
 * has for it, exactly as the agent weaves them; it asks its parent for everything else (the hooks,
 * the test). Verified like any class an application loader defines.
 */
public final class WovenLibrary extends ClassLoader {
    private final Map<String, byte[]> classes = new HashMap<>();

    private WovenLibrary(ClassLoader parent) {
        super(parent);
    }

    /** A loader whose {@code names} are defined from the parent's class files, woven where the table says. */
    public static WovenLibrary of(ClassLoader parent, String... names) throws IOException {
        WovenLibrary loader = new WovenLibrary(parent);
        for (String name : names) {
            byte[] original;
            try (InputStream in = parent.getResourceAsStream(name.replace('.', '/') + ".class")) {
                if (in == null) {
                    throw new IOException("no class file for " + name);
                }
                original = in.readAllBytes();
            }
            List<InterceptionPoint> points = new ArrayList<>();
            for (InterceptionPoint p : InterceptionPoints.ALL) {
                if (p.className().equals(name)) {
                    points.add(p);
                }
            }
            List<String> missing = new ArrayList<>();
            byte[] woven = points.isEmpty() ? null
                    : Weaver.weave(original, points, (p, what) -> missing.add(p + ": " + what));
            if (!missing.isEmpty()) {
                throw new IllegalStateException("the stand-in " + name + " lacks " + missing);
            }
            loader.classes.put(name, woven != null ? woven : original);
        }
        return loader;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            byte[] bytes = classes.get(name);
            if (bytes == null) {
                return super.loadClass(name, resolve);
            }
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = defineClass(name, bytes, 0, bytes.length);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }
}
