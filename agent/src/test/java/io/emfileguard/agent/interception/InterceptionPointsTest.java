package io.emfileguard.agent.interception;

import net.bytebuddy.jar.asm.Type;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The table is the only list: each row must name a hook that exists with the parameters it gets. */
class InterceptionPointsTest {

    @Test
    void everyHookExistsInItsHooksClassWithTheParametersItsArgumentsGive() throws Exception {
        for (InterceptionPoint p : InterceptionPoints.ALL) {
            for (InterceptionPoint.Call c : new InterceptionPoint.Call[] {p.enter, p.exit}) {
                if (c != null) {
                    Set<String> hooks = publicStaticMethods(Class.forName(c.hooksClass.replace('/', '.')));
                    String hook = c.hook + Weaver.hookDescriptor(c, p, p.descriptor);
                    assertTrue(hooks.contains(hook), () -> p + ": no public static " + c.hooksClass + "." + hook);
                }
            }
        }
    }

    private static Set<String> publicStaticMethods(Class<?> hooksClass) {
        Set<String> hooks = new HashSet<>();
        for (Method m : hooksClass.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())) {
                hooks.add(m.getName() + Type.getMethodDescriptor(m));
            }
        }
        return hooks;
    }

    @Test
    void eachMethodHasOneRowAndEachRowIsWellFormed() {
        Set<String> methods = new HashSet<>();
        for (InterceptionPoint p : InterceptionPoints.ALL) {
            assertTrue(methods.add(p.className + "." + p.methodName + p.descriptor), () -> "two rows for " + p);
            assertTrue(p.enter != null || p.exit != null, () -> p + " calls nothing");
            if (p.exit != null) {
                for (int i = 0; i < p.exit.args.size(); i++) {
                    InterceptionPoint.Arg.Kind kind = p.exit.args.get(i).kind;
                    assertTrue(kind != InterceptionPoint.Arg.Kind.RETURNED || i == 0, () -> p + ": returned comes first");
                    assertTrue(kind != InterceptionPoint.Arg.Kind.THROWN || p.exitOnThrow, () -> p + ": thrown without exitOrThrow");
                }
            }
            if (p.exitReplacesReturn) {
                assertEquals(InterceptionPoint.Arg.RETURNED, p.exit.args.get(0), () -> p + " replaces what it does not see");
            }
            if (p.skipWhenEnteredIs != null) {
                assertEquals("Ljava/lang/Object;", p.enter.returns, () -> p + ": skip needs an object from the entry hook");
                assertTrue(p.exitReplacesReturn, () -> p + ": a skipped body needs the exit hook's result");
            }
            if (p.isConstructor()) {
                assertFalse(p.exitOnThrow, () -> p + ": no handler around a constructor (this is uninitialised at entry)");
            }
        }
    }

    @Test
    void theTableAndItsPointsCannotBeChanged() {
        assertThrows(UnsupportedOperationException.class, () -> InterceptionPoints.ALL.set(0, InterceptionPoints.ALL.get(1)));
        for (Class<?> c : new Class<?>[] {InterceptionPoint.class, InterceptionPoint.Call.class, InterceptionPoint.Arg.class}) {
            for (Field f : c.getDeclaredFields()) {
                assertTrue(Modifier.isFinal(f.getModifiers()), () -> c.getSimpleName() + "." + f.getName() + " is not final");
            }
        }
        InterceptionPoint p = InterceptionPoints.ALL.get(0);
        assertThrows(UnsupportedOperationException.class, () -> p.enter.args.clear());
    }

    @Test
    void addingAHookReturnsACopyAndLeavesThePointAsItWas() {
        InterceptionPoint bare = InterceptionPoint.point(InterceptionPoint.Needs.ALWAYS, "a.B", "m", "()Ljava/lang/Object;", "x");
        InterceptionPoint withExit = bare.exitOrThrowReplacing("h", InterceptionPoint.Arg.RETURNED);
        assertNotSame(bare, withExit);
        assertNull(bare.exit);
        assertFalse(bare.exitOnThrow || bare.exitReplacesReturn);
        assertTrue(withExit.exitOnThrow && withExit.exitReplacesReturn);
        InterceptionPoint both = withExit.enterReplacing(0, "e").skipWhenEnteredIs("a/C");
        assertNull(withExit.enter);
        assertEquals(-1, withExit.enterReplacesArg);
        assertNull(withExit.skipWhenEnteredIs);
        assertEquals(0, both.enterReplacesArg);
        assertEquals("a/C", both.skipWhenEnteredIs);
        assertTrue(both.exitOnThrow && both.exitReplacesReturn);
        assertEquals(withExit.exit, both.exit);
    }
}
