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
        if (target == null || target.isConstructor() || !target.getName().equals(point.methodName)) {
            return false;
        }
        TypeList.Generic parameters = target.getParameters().asTypeList();
        if (parameters.size() != point.parameterTypes.size()) {
            return false;
        }
        for (int i = 0; i < parameters.size(); i++) {
            TypeDescription erasure = parameters.get(i).asErasure();
            if (!erasure.getName().equals(point.parameterTypes.get(i))) {
                return false;
            }
        }
        return true;
    }
}
