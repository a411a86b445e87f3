package io.emfileguard.agent.interception;

import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.description.type.TypeList;
import net.bytebuddy.matcher.ElementMatcher;

/** Matches one method by name and exact parameter type names: nothing broader can match by accident. */
final class ExactMethodMatcher extends ElementMatcher.Junction.AbstractBase<MethodDescription> {
    private final InterceptionPoint point;

    ExactMethodMatcher(InterceptionPoint point) {
        this.point = point;
    }

    @Override
    public boolean matches(MethodDescription target) {
        if (target == null || target.isConstructor() != point.isConstructor()
                || (!point.isConstructor() && !target.getName().equals(point.methodName))) {
            return false;
        }
        TypeList.Generic parameters = target.getParameters().asTypeList();
        int expected = point.parameterTypes.size();
        boolean prefix = expected > 0 && InterceptionPoint.MORE.equals(point.parameterTypes.get(expected - 1));
        if (prefix ? parameters.size() < expected - 1 : parameters.size() != expected) {
            return false;
        }
        for (int i = 0; i < (prefix ? expected - 1 : expected); i++) {
            TypeDescription erasure = parameters.get(i).asErasure();
            if (!erasure.getName().equals(point.parameterTypes.get(i))) {
                return false;
            }
        }
        return true;
    }
}
