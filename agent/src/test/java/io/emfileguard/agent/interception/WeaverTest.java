package io.emfileguard.agent.interception;

import io.emfileguard.agent.interception.InterceptionPoint.Needs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import static io.emfileguard.agent.interception.InterceptionPoint.Arg.ENTERED;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.RETURNED;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.THIS;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.THROWN;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.arg;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.field;
import static io.emfileguard.agent.interception.InterceptionPoint.point;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The weaver's bytecode, loaded by an application class loader (which verifies it, unlike the boot
 * loader): every kind of hook the table uses, on every path — normal returns, exceptions thrown
 * through the method, a skipped body — calls its hook once, with the right values, and the method
 * still returns or throws what it would have.
 */
class WeaverTest {
    private static final String TARGET = WeaveTarget.class.getName();
    private static final String HOOKS = TestHooks.class.getName().replace('.', '/');

    private final List<String> missing = new ArrayList<>();
    private Class<?> woven;

    @BeforeEach
    void weave() throws Exception {
        TestHooks.CALLS.clear();
        List<InterceptionPoint> points = Arrays.asList(
            point(Needs.ALWAYS, TARGET, "<init>", "(Ljava/lang/String;...", "constructor")
                .enter("constructing", "V", arg(1))
                .exit("constructed", THIS),
            point(Needs.ALWAYS, TARGET, "create", "(Z)Z", "entry result kept for the exit, also on throw")
                .enter("beforeCreate", "Z", field("server", "Z"), arg(0))
                .exitOrThrow("afterCreate", THIS, ENTERED, THROWN),
            point(Needs.ALWAYS, TARGET, "open", "(Ljava/lang/Object;)Ljava/lang/Object;", "static method")
                .enter("beforeOpen", "Ljava/lang/Object;", arg(0))
                .exitOrThrow("afterOpen", RETURNED, ENTERED, THROWN),
            point(Needs.ALWAYS, TARGET, "lookup", "(Ljava/lang/String;)Ljava/lang/String;", "return replaced")
                .exitReplacing("lookedUp", RETURNED, THIS),
            point(Needs.ALWAYS, TARGET, "send", "(Ljava/lang/String;JD)Ljava/util/concurrent/CompletableFuture;",
                    "skipped body")
                .enter("beforeSend", "Ljava/lang/Object;", THIS, arg(1))
                .skipWhenEnteredIs(HOOKS + "$Refused")
                .exitOrThrowReplacing("afterSend", RETURNED, ENTERED, THROWN),
            point(Needs.ALWAYS, TARGET, "handOn", "(JLjava/util/concurrent/Executor;Ljava/lang/Runnable;)I",
                    "a parameter replaced at entry")
                .enterReplacing(1, "executorFor", THIS, arg(1)),
            point(Needs.ALWAYS, TARGET, "endRead", "(JZ)V", "a long before the argument")
                .exitOrThrow("readEnded", THIS, arg(1), THROWN),
            point(Needs.ALWAYS, TARGET, "absent", "()V", "a method the class does not have")
                .exit("constructed", THIS));
        byte[] original;
        try (InputStream in = WeaveTarget.class.getResourceAsStream("WeaveTarget.class")) {
            original = in.readAllBytes();
        }
        byte[] bytes = Weaver.weave(original, points, (p, what) -> missing.add(p.methodName() + " " + what), HOOKS);
        woven = new ClassLoader(WeaverTest.class.getClassLoader()) {
            Class<?> define() {
                return defineClass(TARGET, bytes, 0, bytes.length);
            }
        }.define();
    }

    @Test
    void anEntryHookCanReplaceAParameterThatTheBodyThenUses() throws Exception {
        Object target = woven.getConstructor(String.class, Object.class).newInstance("t", "o");
        Method handOn = woven.getMethod("handOn", long.class, Executor.class, Runnable.class);
        List<String> ran = new ArrayList<>();
        Executor original = task -> ran.add("original executor");
        assertEquals(1, handOn.invoke(target, 7L, original, (Runnable) () -> ran.add("task")));
        assertEquals(List.of("task"), ran, "the task ran through the replacement, not the original executor");
        List<String> calls = TestHooks.CALLS;
        assertEquals(List.of("executorFor(true)", "replacement ran the task"),
                calls.subList(calls.indexOf("executorFor(true)"), calls.size()));
    }

    @Test
    void reportsAMissingMethodAndWeavesTheRest() {
        assertEquals(List.of("absent method"), missing);
    }

    @Test
    void constructorHooksRunBeforeSuperAndAfterTheBody() throws Exception {
        Object target = newTarget();
        assertEquals(List.of("constructing owner", "constructed aowner"), TestHooks.CALLS);
        assertSame(woven, target.getClass());
    }

    @Test
    void entryResultReachesTheExitOnReturn() throws Exception {
        Object target = newTarget();
        TestHooks.CALLS.clear();
        assertEquals(true, call(target, "create", true));
        assertEquals(List.of("beforeCreate false true", "afterCreate WeaveTarget true null"), TestHooks.CALLS);
    }

    @Test
    void exitHookSeesTheExceptionAndItIsRethrown() throws Exception {
        Object target = newTarget();
        TestHooks.CALLS.clear();
        IOException thrown = assertThrows(IOException.class, () -> call(target, "create", false));
        assertEquals("not a stream", thrown.getMessage());
        assertEquals(List.of("beforeCreate false false", "afterCreate WeaveTarget false java.io.IOException: not a stream"),
                TestHooks.CALLS);
    }

    @Test
    void staticMethodsPassTheReturnValueAndTheEntryResult() throws Exception {
        assertEquals("channel:inet", call(null, "open", "inet"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> call(null, "open", "bad"));
        assertEquals("bad family", e.getMessage());
        assertEquals(List.of("beforeOpen inet", "afterOpen channel:inet unit null",
                "beforeOpen bad", "afterOpen null unit bad family"), TestHooks.CALLS);
    }

    @Test
    void exitHookReplacesTheReturnValue() throws Exception {
        Object target = newTarget();
        assertEquals("value:k", call(target, "lookup", "k"));
        assertEquals("replaced", call(target, "lookup", ""));
    }

    @Test
    void refusedEntrySkipsTheBodyAndTheExitHookDecidesTheResult() throws Exception {
        Object target = newTarget();
        TestHooks.CALLS.clear();
        assertEquals("r51.5", ((CompletableFuture<?>) call(target, "send", "r", 5L, 1.5d)).get());
        assertEquals("refused", ((CompletableFuture<?>) call(target, "send", null, -1L, 0d)).get());
        assertThrows(NullPointerException.class, () -> call(target, "send", null, 5L, 0d));
        assertEquals(List.of("beforeSend 5", "afterSend java.util.concurrent.CompletableFuture@" , "beforeSend -1",
                "afterSend null Refused null", "beforeSend 5", "afterSend null String NullPointerException"),
                normalised(TestHooks.CALLS));
    }

    @Test
    void handlerReadsParametersByTheirSlots() throws Exception {
        Object target = newTarget();
        TestHooks.CALLS.clear();
        call(target, "endRead", 10L, true);
        IOException e = assertThrows(IOException.class, () -> call(target, "endRead", -1L, false));
        assertEquals("closed", e.getMessage());
        assertEquals(List.of("readEnded true null", "readEnded false closed"), TestHooks.CALLS);
    }

    @Test
    void aClassWithNoTargetIsLeftAlone() throws Exception {
        byte[] original;
        try (InputStream in = TestHooks.class.getResourceAsStream("TestHooks.class")) {
            original = in.readAllBytes();
        }
        assertNull(Weaver.weave(original, InterceptionPoints.ALL, (p, w) -> { }, HOOKS));
    }

    private static List<String> normalised(List<String> calls) {
        List<String> out = new ArrayList<>();
        for (String c : calls) {
            out.add(c.replaceAll("CompletableFuture@.*", "CompletableFuture@"));
        }
        return out;
    }

    private Object newTarget() throws Exception {
        Constructor<?> c = woven.getConstructor(String.class, Object.class);
        return c.newInstance("a", "owner");
    }

    private Object call(Object target, String name, Object... args) throws Exception {
        for (Method m : woven.getMethods()) {
            if (m.getName().equals(name)) {
                try {
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof Exception) {
                        throw (Exception) e.getCause();
                    }
                    throw e;
                }
            }
        }
        throw new NoSuchMethodException(name);
    }
}
