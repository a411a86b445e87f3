package io.emfileguard.agent.interception;

import java.util.Arrays;
import java.util.List;

/**
 * One method the agent advises (a JDK class, or a library class it cooperates with): exact class name, method name, parameter types, advice class.
 * Plain strings, no Byte Buddy types, so that declaring the points costs nothing at start-up.
 */
final class InterceptionPoint {
    /** Method name of constructors, as in the class file. */
    static final String CONSTRUCTOR = "<init>";
    /** Last parameter type meaning "and any parameters after these" (signatures differ by JDK). */
    static final String MORE = "...";

    final String className;
    final String methodName;
    final List<String> parameterTypes;
    final Class<?> advice;

    InterceptionPoint(String className, String methodName, Class<?> advice, String... parameterTypes) {
        this.className = className;
        this.methodName = methodName;
        this.parameterTypes = Arrays.asList(parameterTypes);
        this.advice = advice;
    }

    boolean isConstructor() {
        return CONSTRUCTOR.equals(methodName);
    }

    /** Targets in {@code java.net.http} live in the platform class loader, the others in the boot loader. */
    boolean inPlatformLoader() {
        return className.startsWith("jdk.internal.net.http.");
    }

    /**
     * Left out of the start-up warm-up: java.net.http, and HttpURLConnection's keep-alive cache
     * (sun.net). Only applications that use them pay for transforming them, on first use (Byte
     * Buddy is warm by then). Not for the socket classes: those must never load untransformed.
     */
    boolean transformedOnFirstUse() {
        return inPlatformLoader() || className.startsWith("sun.net.");
    }

    /**
     * Library targets (Apache HttpCore, OkHttp) live in whatever loader the application gives them;
     * they are optional: most applications do not have them.
     */
    boolean inApplicationLoader() {
        return !(className.startsWith("java.") || className.startsWith("sun.") || className.startsWith("jdk."));
    }

    String internalClassName() {
        return className.replace('.', '/');
    }

    @Override
    public String toString() {
        return className + "." + methodName + "(" + String.join(", ", parameterTypes) + ")";
    }
}
