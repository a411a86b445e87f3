package io.emfileguard.agent.interception;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Looks each loading class up by name in the interception table and weaves the targets; returns
 * {@code null} for every other class (returning the same bytes would cost class-data sharing).
 */
final class WeavingTransformer implements ClassFileTransformer {

    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private static final Module JAVA_BASE = Object.class.getModule();

    private final Map<String, List<InterceptionPoint>> pointsByInternalName;
    private final Interceptions.Reporter reporter;
    /** Lets a named JDK module call the core (java.base already can); once per module. */
    private final Consumer<Module> letModuleCallCore;
    private final Set<Module> modulesThatCallCore = ConcurrentHashMap.newKeySet();

    WeavingTransformer(Map<String, List<InterceptionPoint>> pointsByInternalName, Interceptions.Reporter reporter,
                       Consumer<Module> letModuleCallCore) {
        this.pointsByInternalName = pointsByInternalName;
        this.reporter = reporter;
        this.letModuleCallCore = letModuleCallCore;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String internalName, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (internalName == null) {
            return null;
        }
        List<InterceptionPoint> points = pointsByInternalName.get(internalName);
        if (points == null) {
            return null;
        }
        boolean jdkLoader = loader == null || loader == PLATFORM;
        if (jdkLoader != points.get(0).inJdk()) {
            return null; // a JDK target in an application loader, or the other way round: not ours
        }
        if (!jdkLoader && module != null && module.isNamed()) {
            // A library on the module path does not read the core's (unnamed) module: hooks called
            // from it would fail there at run time. Left as it is.
            reporter.warnOnce("module:" + internalName, internalName.replace('/', '.') + " is in the named module "
                    + module.getName() + "; it is left uninstrumented (" + Interceptions.withoutIt(points.get(0))
                    + "). Everything else works.");
            return null;
        }
        try {
            if (jdkLoader && module != null && module.isNamed() && module != JAVA_BASE
                    && modulesThatCallCore.add(module)) {
                letModuleCallCore.accept(module);
            }
            return Weaver.weave(classfileBuffer, points, reporter);
        } catch (Throwable t) {
            reporter.failed(internalName.replace('/', '.'), t);
            return null; // the class stays as it was: never worse than no agent
        }
    }

    @Override
    public byte[] transform(ClassLoader loader, String internalName, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        return transform(null, loader, internalName, classBeingRedefined, protectionDomain, classfileBuffer);
    }
}
