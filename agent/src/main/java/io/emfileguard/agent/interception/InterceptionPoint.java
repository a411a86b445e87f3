package io.emfileguard.agent.interception;

import java.util.Arrays;
import java.util.List;

/**
 * One JDK method the agent advises: exact class name, method name, parameter types, advice class.
 * Plain strings, no Byte Buddy types, so that declaring the points costs nothing at start-up.
 */
final class InterceptionPoint {
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

    String internalClassName() {
        return className.replace('.', '/');
    }

    @Override
    public String toString() {
        return className + "." + methodName + "(" + String.join(", ", parameterTypes) + ")";
    }
}
