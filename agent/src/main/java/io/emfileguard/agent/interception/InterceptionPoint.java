package io.emfileguard.agent.interception;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One method the agent weaves: the exact class, method and descriptor, and the static hook
 * methods of the core ({@link Call}) called at its entry and before it returns (or
 * throws). Plain strings and small value objects: declaring the points costs nothing at start-up.
 * The table of all points is {@link InterceptionPoints#ALL}; {@link Weaver} turns a row into bytecode.
 *
 * <p>A hook's parameters are what its {@link Arg}s say, erased to {@code Object} for reference types
 * (the core cannot name the JDK's internal classes): {@code enter("beforeCreate", "Z", field("server",
 * "Z"), arg(0))} on {@code create(Z)V} calls {@code SocketHooks.beforeCreate(boolean, boolean)} and
 * keeps its {@code boolean} result for the exit hook ({@link Arg#ENTERED}).
 *
 * <p>Immutable: {@link #point} and the methods that add a hook ({@link #enter}, {@link #exit}, ...)
 * return new points, so a row of the table can be read by any thread and changed by none.
 */
public final class InterceptionPoint {

    /** When a point is woven at all. */
    public enum Needs {
        /** Always: the count depends on it. */
        ALWAYS,
        /** Only with {@code reclaim.idle=true}: I/O stamps and pool hand-outs for the reclaimer. */
        IDLE_RECLAIM,
        /** With {@code exclude} rules or idle reclamation: where a {@code Socket} connects to. */
        CONNECT_TARGET,
        /** With {@code jmx=true}: the MBean is registered when someone first asks for the platform MBean server. */
        JMX
    }

    /** Where a hook's argument comes from. */
    public static final class Arg {
        enum Kind { THIS, ARG, FIELD, ENTERED, RETURNED, THROWN }

        /** The instance the method runs on. */
        public static final Arg THIS = new Arg(Kind.THIS, -1, null, null);
        /** What the entry hook returned. */
        public static final Arg ENTERED = new Arg(Kind.ENTERED, -1, null, null);
        /** The method's return value (on the exception path: null, false or 0). Always a hook's first argument. */
        public static final Arg RETURNED = new Arg(Kind.RETURNED, -1, null, null);
        /** What the method threw (null when it returned). Only in exit hooks that also run on exceptions. */
        public static final Arg THROWN = new Arg(Kind.THROWN, -1, null, null);

        final Kind kind;
        final int index;
        final String fieldName;
        final String fieldDescriptor;

        private Arg(Kind kind, int index, String fieldName, String fieldDescriptor) {
            this.kind = kind;
            this.index = index;
            this.fieldName = fieldName;
            this.fieldDescriptor = fieldDescriptor;
        }

        /** The method's parameter {@code index} (0-based, {@code this} not counted). */
        public static Arg arg(int index) {
            return new Arg(Kind.ARG, index, null, null);
        }

        /** A field of {@code this}, read in the woven class (no reflection, no module opened). */
        public static Arg field(String name, String descriptor) {
            return new Arg(Kind.FIELD, -1, name, descriptor);
        }

        @Override
        public String toString() {
            switch (kind) {
                case ARG: return "arg" + index;
                case FIELD: return "this." + fieldName;
                default: return kind.name().toLowerCase();
            }
        }
    }

    /**
     * A static call into a hooks class of the core: {@code "httpclient.HttpClientHooks.beforeExchange"}
     * calls {@code io.emfileguard.core.httpclient.HttpClientHooks.beforeExchange} (a family's package
     * under the core); a bare name is a {@code SocketHooks} method (the JDK's sockets and channels).
     */
    static final class Call {
        /** The hooks class, internal name. */
        final String hooksClass;
        /** The method's name in it. */
        final String hook;
        /** The hook's return descriptor: "V", "Z", "Ljava/lang/Object;", ... */
        final String returns;
        final List<Arg> args;

        Call(String hook, String returns, Arg... args) {
            int dot = hook.lastIndexOf('.');
            this.hooksClass = dot < 0 ? SOCKET_HOOKS : CORE_PACKAGE + hook.substring(0, dot).replace('.', '/');
            this.hook = hook.substring(dot + 1);
            this.returns = returns;
            this.args = Collections.unmodifiableList(Arrays.asList(args.clone()));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(hooksClass.substring(CORE_PACKAGE.length()).replace('/', '.')).append('.')
                    .append(hook).append('(');
            for (int i = 0; i < args.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(args.get(i));
            }
            return sb.append(')').toString();
        }
    }

    static final String CORE_PACKAGE = "io/emfileguard/core/";
    static final String SOCKET_HOOKS = CORE_PACKAGE + "SocketHooks";

    final String className;
    final String methodName;
    /** Exact descriptor, or a prefix of the parameters ending in {@code ...} (signatures differ by JDK). */
    final String descriptor;
    final Needs needs;
    final String why;
    final Call enter;
    final Call exit;
    /** Whether the exit hook also runs when the method throws (then it may take {@link Arg#THROWN}). */
    final boolean exitOnThrow;
    /** The exit hook's result replaces the method's return value. */
    final boolean exitReplacesReturn;
    /** Skip the method's body when the entry hook returned an instance of this (internal name). */
    final String skipWhenEnteredIs;
    /** The parameter (0-based) that the entry hook's result replaces, or -1. */
    final int enterReplacesArg;

    private InterceptionPoint(String className, String methodName, String descriptor, Needs needs, String why,
                              Call enter, int enterReplacesArg, Call exit, boolean exitOnThrow,
                              boolean exitReplacesReturn, String skipWhenEnteredIs) {
        this.className = className;
        this.methodName = methodName;
        this.descriptor = descriptor;
        this.needs = needs;
        this.why = why;
        this.enter = enter;
        this.enterReplacesArg = enterReplacesArg;
        this.exit = exit;
        this.exitOnThrow = exitOnThrow;
        this.exitReplacesReturn = exitReplacesReturn;
        this.skipWhenEnteredIs = skipWhenEnteredIs;
    }

    /** A point with no hooks yet; each method below returns a copy with one more (points are immutable). */
    static InterceptionPoint point(Needs needs, String className, String methodName, String descriptor, String why) {
        return new InterceptionPoint(className, methodName, descriptor, needs, why, null, -1, null, false, false, null);
    }

    private InterceptionPoint withEnter(Call newEnter, int newEnterReplacesArg) {
        return new InterceptionPoint(className, methodName, descriptor, needs, why, newEnter, newEnterReplacesArg,
                exit, exitOnThrow, exitReplacesReturn, skipWhenEnteredIs);
    }

    private InterceptionPoint withExit(Call newExit, boolean newExitOnThrow, boolean newExitReplacesReturn) {
        return new InterceptionPoint(className, methodName, descriptor, needs, why, enter, enterReplacesArg,
                newExit, newExitOnThrow, newExitReplacesReturn, skipWhenEnteredIs);
    }

    /** Calls {@code hook} at entry; a non-void result is kept for the exit hook ({@link Arg#ENTERED}). */
    InterceptionPoint enter(String hook, String returns, Arg... args) {
        return withEnter(new Call(hook, returns, args), enterReplacesArg);
    }

    /**
     * Calls {@code hook} at entry and passes the method what it returns in place of its parameter
     * {@code index} (a reference, cast back to the parameter's type): how deferred work is slipped
     * in where the method hands work on, e.g. an executor that queues at the cap.
     */
    InterceptionPoint enterReplacing(int index, String hook, Arg... args) {
        return withEnter(new Call(hook, "Ljava/lang/Object;", args), index);
    }

    /** Calls {@code hook} (void) before every return. */
    InterceptionPoint exit(String hook, Arg... args) {
        return withExit(new Call(hook, "V", args), exitOnThrow, exitReplacesReturn);
    }

    /** Calls {@code hook} (void) before every return and when the method throws (then rethrows). */
    InterceptionPoint exitOrThrow(String hook, Arg... args) {
        return withExit(new Call(hook, "V", args), true, exitReplacesReturn);
    }

    /** Before every return, the method returns what {@code hook(RETURNED, ...)} returns instead. */
    InterceptionPoint exitReplacing(String hook, Arg... args) {
        return withExit(new Call(hook, Weaver.erasedReturn(descriptor), args), exitOnThrow, true);
    }

    /** As {@link #exitReplacing}, and the hook also runs (its result ignored) when the method throws. */
    InterceptionPoint exitOrThrowReplacing(String hook, Arg... args) {
        return withExit(new Call(hook, Weaver.erasedReturn(descriptor), args), true, true);
    }

    /** The body is skipped, and the exit hook decides the result, when the entry hook returned a {@code type}. */
    InterceptionPoint skipWhenEnteredIs(String internalName) {
        return new InterceptionPoint(className, methodName, descriptor, needs, why, enter, enterReplacesArg, exit,
                exitOnThrow, exitReplacesReturn, internalName);
    }

    public String className() {
        return className;
    }

    public String methodName() {
        return methodName;
    }

    public String descriptor() {
        return descriptor;
    }

    /** One line: what happens there. */
    public String why() {
        return why;
    }

    public Needs needs() {
        return needs;
    }

    boolean isConstructor() {
        return "<init>".equals(methodName);
    }

    boolean matches(String name, String desc) {
        if (!methodName.equals(name)) {
            return false;
        }
        return descriptor.endsWith("...")
                ? desc.startsWith(descriptor.substring(0, descriptor.length() - 3))
                : descriptor.equals(desc);
    }

    /** Targets in {@code java.*}, {@code sun.*}, {@code jdk.*} live in the JDK's loaders; the others are libraries. */
    public boolean inJdk() {
        return className.startsWith("java.") || className.startsWith("sun.") || className.startsWith("jdk.");
    }

    String internalClassName() {
        return className.replace('.', '/');
    }

    @Override
    public String toString() {
        return className + "." + methodName + descriptor;
    }
}
