package io.emfileguard.agent.interception;

import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodList;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.pool.TypePool;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.Map;

/**
 * A {@link ClassFileTransformer} that applies Byte Buddy {@link Advice} to exact classes without
 * the {@code AgentBuilder} machinery: no matcher pipeline over loaded classes, no type-pool scans, no
 * listeners. Byte Buddy's own {@code Advice} still does the inlining (frames, exception tables,
 * local variables); this class only feeds it the class file.
 */
final class AdviceTransformer implements ClassFileTransformer {

    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private final Map<String, List<InterceptionPoint>> pointsByInternalName;
    private final Interceptions.Reporter reporter;

    AdviceTransformer(Map<String, List<InterceptionPoint>> pointsByInternalName, Interceptions.Reporter reporter) {
        this.pointsByInternalName = pointsByInternalName;
        this.reporter = reporter;
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
        if (jdkLoader == points.get(0).inApplicationLoader()) {
            return null; // a JDK target in an application loader, or the other way round: not ours
        }
        if (!jdkLoader && module != null && module.isNamed()) {
            // A library on the module path does not read the core's (unnamed) module: advice calling
            // into it would fail there at run time. Left as it is.
            reporter.warnOnce("module:" + internalName, internalName.replace('/', '.') + " is in the named module "
                    + module.getName() + "; it is left uninstrumented (reclaimed idle connections of this client "
                    + "are found closed only by its own checks). Everything else works.");
            return null;
        }
        return transform(loader, internalName, points, classfileBuffer);
    }

    @Override
    public byte[] transform(ClassLoader loader, String internalName, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        return transform(null, loader, internalName, classBeingRedefined, protectionDomain, classfileBuffer);
    }

    private byte[] transform(ClassLoader loader, String internalName, List<InterceptionPoint> points,
                             byte[] classfileBuffer) {
        String name = internalName.replace('/', '.');
        try {
            ClassFileLocator locator = new ClassFileLocator.Compound(
                    ClassFileLocator.Simple.of(name, classfileBuffer),
                    loader == null ? ClassFileLocator.ForClassLoader.ofBootLoader() : ClassFileLocator.ForClassLoader.of(loader));
            TypePool pool = TypePool.Default.WithLazyResolution.of(locator);
            TypeDescription type = pool.describe(name).resolve();
            MethodList<?> methods = type.getDeclaredMethods();
            AsmVisitorWrapper.ForDeclaredMethods wrapper = new AsmVisitorWrapper.ForDeclaredMethods();
            for (InterceptionPoint p : points) {
                ExactMethodMatcher matcher = new ExactMethodMatcher(p);
                if (methods.filter(matcher).isEmpty()) {
                    reporter.missing(p);
                    continue;
                }
                wrapper = wrapper.invokable(matcher, Advice.to(p.advice));
            }
            ClassReader reader = new ClassReader(classfileBuffer);
            int writerFlags = wrapper.mergeWriter(0);
            int readerFlags = wrapper.mergeReader(0);
            ClassWriter writer = new ClassWriter(reader, writerFlags);
            ClassFileVersion version = ClassFileVersion.ofClassFile(classfileBuffer);
            ClassVisitor visitor = wrapper.wrap(type, writer, new DisabledContext(type, version), pool,
                    type.getDeclaredFields(), methods, writerFlags, readerFlags);
            reader.accept(visitor, readerFlags);
            return writer.toByteArray();
        } catch (Throwable t) {
            reporter.failed(name, t);
            return null; // the class stays as it was: never worse than no agent
        }
    }

    /** Advice inlines everything: no auxiliary types, no accessors, no new members. */
    private static final class DisabledContext extends Implementation.Context.Disabled {
        DisabledContext(TypeDescription type, ClassFileVersion version) {
            super(type, version, FrameGeneration.GENERATE);
        }
    }
}
