package io.emfileguard.agent.interception;

import io.emfileguard.agent.interception.InterceptionPoint.Arg;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Weaves {@link InterceptionPoint}s into a class file with the ASM that ships inside Byte Buddy (a few
 * dozen classes: start-up pays for nothing else). What it inserts is only static calls into the
 * core's hooks classes:
 * <ul>
 * <li>at entry: the entry hook, its result kept in a new local variable;</li>
 * <li>before every return: the exit hook, with the return value on the stack (it is the hook's
 *     first argument, so the call is stack-neutral), optionally replacing it;</li>
 * <li>for exit hooks that must see exceptions: a catch-all handler around the original body
 *     (the original handlers come first in the table, so they still win) that calls the hook and
 *     rethrows.</li>
 * </ul>
 * No {@code COMPUTE_FRAMES} (it would load classes inside the transformer to find common
 * supertypes): the new locals live above the method's own {@code max_locals}, so every original
 * stack map frame stays valid once it is padded with them, and the two frames the weaver adds (the
 * handler, the skip path) are written here, all three by {@code PointWeaver.frame}. A hook's arguments
 * are loaded by {@code PointWeaver.load}, wherever the hook is called from. Methods are matched by
 * exact name and descriptor; a point whose method or field is missing leaves its method untouched and
 * is reported.
 */
final class Weaver {
    private static final String OBJECT = "java/lang/Object";

    /** What the weaver tells its caller about points it had to skip. */
    interface Problems {
        void missing(InterceptionPoint point, String what);
    }

    private Weaver() {
    }

    /**
     * @return the woven class file, or null when no point applied (the class stays as it is; a
     *         transformer must then return null, not the same bytes, or class-data sharing is lost)
     */
    static byte[] weave(byte[] classFile, List<InterceptionPoint> points, Problems problems) {
        return weave(classFile, points, problems, null);
    }

    /**
     * As {@link #weave(byte[], List, Problems)}; {@code hooksClass}, when not null, replaces every
     * point's hooks class (tests record the calls).
     */
    static byte[] weave(byte[] classFile, List<InterceptionPoint> points, Problems problems, String hooksClass) {
        ClassReader reader = new ClassReader(classFile);
        Shape shape = Shape.of(reader, points);
        Map<String, InterceptionPoint> byMethod = new HashMap<>();
        for (InterceptionPoint p : points) {
            String method = shape.find(p);
            if (method == null) {
                problems.missing(p, "method");
                continue;
            }
            String field = missingField(p, shape);
            if (field != null) {
                problems.missing(p, "field " + field);
                continue;
            }
            byMethod.put(method, p);
        }
        if (byMethod.isEmpty()) {
            return null;
        }
        ClassWriter writer = new ClassWriter(reader, 0);
        String owner = reader.getClassName();
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                InterceptionPoint p = byMethod.get(name + descriptor);
                return p == null ? mv
                        : new PointWeaver(mv, p, owner, access, descriptor, shape.maxLocals.get(name + descriptor),
                                hooksClass);
            }
        }, ClassReader.EXPAND_FRAMES);
        return writer.toByteArray();
    }

    private static String missingField(InterceptionPoint p, Shape shape) {
        for (InterceptionPoint.Call c : Arrays.asList(p.enter, p.exit)) {
            if (c == null) {
                continue;
            }
            for (Arg a : c.args) {
                if (a.kind == Arg.Kind.FIELD && !shape.fields.contains(a.fieldName + ":" + a.fieldDescriptor)) {
                    return a.fieldName + " " + a.fieldDescriptor;
                }
            }
        }
        return null;
    }

    /** The hook's descriptor: what its arguments give, references erased to Object. */
    static String hookDescriptor(InterceptionPoint.Call call, InterceptionPoint p, String methodDescriptor) {
        StringBuilder sb = new StringBuilder("(");
        for (Arg a : call.args) {
            sb.append(argType(a, p, methodDescriptor).getDescriptor());
        }
        return sb.append(')').append(call.returns).toString();
    }

    /** The return type of {@code descriptor}, erased as hooks see it. */
    static String erasedReturn(String descriptor) {
        return erase(Type.getReturnType(descriptor)).getDescriptor();
    }

    private static Type argType(Arg a, InterceptionPoint p, String methodDescriptor) {
        switch (a.kind) {
            case THIS: return Type.getObjectType(OBJECT);
            case ARG: return erase(Type.getArgumentTypes(knownPart(methodDescriptor))[a.index]);
            case FIELD: return erase(Type.getType(a.fieldDescriptor));
            case ENTERED: return Type.getType(p.enter.returns);
            case RETURNED: return erase(Type.getReturnType(methodDescriptor));
            case THROWN: return Type.getObjectType("java/lang/Throwable");
            default: throw new IllegalArgumentException(a.toString());
        }
    }

    /** A prefix descriptor ("(La;Lb;...") as a parsable one. */
    static String knownPart(String descriptor) {
        return descriptor.endsWith("...") ? descriptor.substring(0, descriptor.length() - 3) + ")V" : descriptor;
    }

    private static Type erase(Type t) {
        return t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY ? Type.getObjectType(OBJECT) : t;
    }

    /** Methods (with their max_locals) and fields of the class, read once before weaving. */
    private static final class Shape extends ClassVisitor {
        final Map<String, Integer> maxLocals = new HashMap<>();
        final Set<String> fields = new HashSet<>();

        private Shape(List<InterceptionPoint> points) {
            super(Opcodes.ASM9);
            this.points = points;
        }

        private final List<InterceptionPoint> points;

        static Shape of(ClassReader reader, List<InterceptionPoint> points) {
            Shape s = new Shape(points);
            reader.accept(s, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            return s;
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            fields.add(name + ":" + descriptor);
            return null;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                         String[] exceptions) {
            String key = name + descriptor;
            boolean target = false;
            for (InterceptionPoint p : points) {
                target |= p.matches(name, descriptor);
            }
            if (!target) {
                return null; // the reader skips the code of every other method
            }
            return new MethodVisitor(Opcodes.ASM9) {
                @Override
                public void visitMaxs(int maxStack, int locals) {
                    maxLocals.put(key, locals);
                }
            };
        }

        /** The method the point names (name + descriptor), if the class has it with code. */
        String find(InterceptionPoint p) {
            for (String key : maxLocals.keySet()) {
                int paren = key.indexOf('(');
                if (p.matches(key.substring(0, paren), key.substring(paren))) {
                    return key;
                }
            }
            return null;
        }
    }

    /** Where a hook is called from: what its arguments are read from there. */
    private enum Site {
        /** The method's entry: only its instance, parameters and fields exist yet. */
        ENTRY,
        /** Before a return: the return value is already on the stack (and must be the hook's first argument). */
        RETURN,
        /** The skipped body: no return value (its default instead), nothing thrown. */
        SKIP,
        /** The catch-all handler: the copies made at entry (the body may have reused the slots), the throwable. */
        HANDLER
    }

    /** Weaves one point into one method. */
    private static final class PointWeaver extends MethodVisitor {
        private final InterceptionPoint point;
        private final String owner;
        private final String descriptor;
        private final boolean isStatic;
        private final Type[] parameters;
        private final Type returnType;
        /** The method's own max_locals: the weaver's locals start here. */
        private final int firstLocal;
        private int nextLocal;
        /** Frame types of the weaver's locals that live through the whole body, in slot order. */
        private final List<Object> ownFrameLocals = new ArrayList<>();
        private int enteredLocal = -1;
        private int savedThisLocal = -1;
        private final Map<Integer, Integer> savedParameterLocals = new HashMap<>();
        /** In the handler: the local holding what was thrown. */
        private int thrownLocal = -1;
        private final List<Label[]> protectedRanges = new ArrayList<>();
        private Label rangeStart;
        private Label skip;

        /** Replaces every call's hooks class when not null (tests). */
        private final String hooksClass;

        PointWeaver(MethodVisitor mv, InterceptionPoint point, String owner, int access, String descriptor,
                    int maxLocals, String hooksClass) {
            super(Opcodes.ASM9, mv);
            this.hooksClass = hooksClass;
            this.point = point;
            this.owner = owner;
            this.descriptor = descriptor;
            this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
            this.parameters = Type.getArgumentTypes(descriptor);
            this.returnType = Type.getReturnType(descriptor);
            this.firstLocal = maxLocals;
            this.nextLocal = maxLocals;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            if (point.enter != null) {
                callHook(point.enter, 0, Site.ENTRY);
                Type entered = Type.getType(point.enter.returns);
                if (point.enterReplacesArg >= 0) {
                    // The result becomes the parameter: cast to its declared type, so every frame's
                    // type for that slot still holds.
                    Type parameter = parameters[point.enterReplacesArg];
                    super.visitTypeInsn(Opcodes.CHECKCAST, parameter.getInternalName());
                    super.visitVarInsn(Opcodes.ASTORE, parameterSlot(point.enterReplacesArg));
                } else if (entered.getSort() != Type.VOID) {
                    if (usesEntered()) {
                        enteredLocal = newLocal(entered, frameType(entered));
                        super.visitVarInsn(entered.getOpcode(Opcodes.ISTORE), enteredLocal);
                    } else {
                        super.visitInsn(entered.getSize() == 2 ? Opcodes.POP2 : Opcodes.POP);
                    }
                }
            }
            if (point.exitOnThrow) {
                // The handler cannot trust the original slots (the body may reuse them): it reads copies.
                for (Arg a : point.exit.args) {
                    if ((a.kind == Arg.Kind.THIS || a.kind == Arg.Kind.FIELD) && savedThisLocal < 0) {
                        super.visitVarInsn(Opcodes.ALOAD, 0);
                        savedThisLocal = newLocal(Type.getObjectType(owner), owner);
                        super.visitVarInsn(Opcodes.ASTORE, savedThisLocal);
                    } else if (a.kind == Arg.Kind.ARG && !savedParameterLocals.containsKey(a.index)) {
                        Type t = parameters[a.index];
                        load(a, Site.ENTRY);
                        int local = newLocal(t, frameType(t));
                        super.visitVarInsn(t.getOpcode(Opcodes.ISTORE), local);
                        savedParameterLocals.put(a.index, local);
                    }
                }
            }
            // After every local of ours is set: the skip path's frame declares them all.
            if (point.skipWhenEnteredIs != null) {
                skip = new Label();
                super.visitVarInsn(Opcodes.ALOAD, enteredLocal);
                super.visitTypeInsn(Opcodes.INSTANCEOF, point.skipWhenEnteredIs);
                super.visitJumpInsn(Opcodes.IFNE, skip);
            }
            if (point.exitOnThrow) {
                rangeStart = new Label();
                super.visitLabel(rangeStart);
            }
        }

        @Override
        public void visitInsn(int opcode) {
            if (opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN && point.exit != null) {
                // The exit hook's own call is outside the catch-all: it never runs twice.
                endProtectedRange();
                callExitOnReturn();
                super.visitInsn(opcode);
                if (point.exitOnThrow) {
                    rangeStart = new Label();
                    super.visitLabel(rangeStart);
                }
                return;
            }
            super.visitInsn(opcode);
        }

        @Override
        public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
            if (ownFrameLocals.isEmpty()) {
                super.visitFrame(type, numLocal, local, numStack, stack);
                return;
            }
            // Expanded frames (F_NEW): the method's locals, then ours.
            Object[] onStack = numStack == 0 ? new Object[0] : Arrays.copyOf(stack, numStack);
            frame(Arrays.asList(local).subList(0, numLocal), onStack);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            int extraStack = 4;
            for (InterceptionPoint.Call c : Arrays.asList(point.enter, point.exit)) {
                if (c != null) {
                    extraStack += 2 * c.args.size();
                }
            }
            if (skip != null) {
                emitSkipPath();
            }
            if (point.exitOnThrow) {
                endProtectedRange();
                emitHandler();
            }
            super.visitMaxs(maxStack + extraStack, Math.max(maxLocals, nextLocal + 1));
        }

        // ---- entry

        private boolean usesEntered() {
            if (point.skipWhenEnteredIs != null) {
                return true;
            }
            if (point.exit != null) {
                for (Arg a : point.exit.args) {
                    if (a.kind == Arg.Kind.ENTERED) {
                        return true;
                    }
                }
            }
            return false;
        }

        // ---- normal return

        private void callExitOnReturn() {
            List<Arg> args = point.exit.args;
            boolean returnedFirst = !args.isEmpty() && args.get(0).kind == Arg.Kind.RETURNED;
            if (returnedFirst && !point.exitReplacesReturn) {
                super.visitInsn(returnType.getSize() == 2 ? Opcodes.DUP2 : Opcodes.DUP);
            }
            callHook(point.exit, returnedFirst ? 1 : 0, Site.RETURN);
            finishExitCall();
        }

        /** After the exit hook: its result becomes the return value, or is dropped. */
        private void finishExitCall() {
            Type result = Type.getType(point.exit.returns);
            if (point.exitReplacesReturn) {
                if (returnType.getSort() == Type.OBJECT || returnType.getSort() == Type.ARRAY) {
                    super.visitTypeInsn(Opcodes.CHECKCAST, returnType.getInternalName());
                }
            } else if (result.getSort() != Type.VOID) {
                super.visitInsn(result.getSize() == 2 ? Opcodes.POP2 : Opcodes.POP);
            }
        }

        // ---- skipped body (the entry hook refused the call)

        private void emitSkipPath() {
            super.visitLabel(skip);
            // Jumped to from the entry: the parameters are as the caller passed them, plus our locals.
            List<Object> locals = new ArrayList<>();
            if (!isStatic) {
                locals.add(owner);
            }
            for (Type t : parameters) {
                locals.add(frameType(t));
            }
            frame(locals);
            callHook(point.exit, 0, Site.SKIP);
            if (!point.exitReplacesReturn) {
                finishExitCall();
                pushDefault(returnType);
            } else {
                finishExitCall();
            }
            super.visitInsn(returnType.getOpcode(Opcodes.IRETURN));
        }

        // ---- exceptions

        private void endProtectedRange() {
            if (rangeStart != null) {
                Label end = new Label();
                super.visitLabel(end);
                protectedRanges.add(new Label[] {rangeStart, end});
                rangeStart = null;
            }
        }

        private void emitHandler() {
            Label handler = new Label();
            boolean any = false;
            for (Label[] r : protectedRanges) {
                if (r[0].getOffset() < r[1].getOffset()) { // an empty range is not allowed in the class file
                    super.visitTryCatchBlock(r[0], r[1], handler, null);
                    any = true;
                }
            }
            if (!any) {
                return;
            }
            super.visitLabel(handler);
            // None of the method's locals is known here (the range covers the whole body): only ours.
            frame(Collections.emptyList(), "java/lang/Throwable");
            thrownLocal = nextLocal++;
            super.visitVarInsn(Opcodes.ASTORE, thrownLocal);
            callHook(point.exit, 0, Site.HANDLER);
            Type result = Type.getType(point.exit.returns);
            if (result.getSort() != Type.VOID) {
                super.visitInsn(result.getSize() == 2 ? Opcodes.POP2 : Opcodes.POP);
            }
            super.visitVarInsn(Opcodes.ALOAD, thrownLocal);
            super.visitInsn(Opcodes.ATHROW);
        }

        // ---- helpers

        /** Loads the call's arguments from {@code from} on (those before are on the stack already) and calls it. */
        private void callHook(InterceptionPoint.Call call, int from, Site site) {
            for (int i = from; i < call.args.size(); i++) {
                load(call.args.get(i), site);
            }
            invokeHook(call);
        }

        /** Pushes one hook argument's value, as it is at {@code site}. */
        private void load(Arg a, Site site) {
            boolean copies = site == Site.HANDLER;
            switch (a.kind) {
                case THIS:
                    super.visitVarInsn(Opcodes.ALOAD, copies ? savedThisLocal : 0);
                    return;
                case ARG:
                    super.visitVarInsn(parameters[a.index].getOpcode(Opcodes.ILOAD),
                            copies ? savedParameterLocals.get(a.index) : parameterSlot(a.index));
                    return;
                case FIELD:
                    super.visitVarInsn(Opcodes.ALOAD, copies ? savedThisLocal : 0);
                    super.visitFieldInsn(Opcodes.GETFIELD, owner, a.fieldName, a.fieldDescriptor);
                    return;
                default:
                    break;
            }
            if (site == Site.ENTRY) {
                throw new IllegalStateException(point + ": " + a + " in an entry hook");
            }
            switch (a.kind) {
                case ENTERED:
                    Type entered = Type.getType(point.enter.returns);
                    super.visitVarInsn(entered.getOpcode(Opcodes.ILOAD), enteredLocal);
                    return;
                case THROWN:
                    if (copies) {
                        super.visitVarInsn(Opcodes.ALOAD, thrownLocal);
                    } else {
                        super.visitInsn(Opcodes.ACONST_NULL);
                    }
                    return;
                case RETURNED:
                    if (site == Site.RETURN) { // the value is on the stack: only as the first argument
                        throw new IllegalStateException(point + ": " + a + " must come first");
                    }
                    pushDefault(returnType);
                    return;
                default:
                    throw new IllegalStateException(a.toString());
            }
        }

        /**
         * Every stack map frame of a woven method: {@code methodLocals} (types of the method's own slots,
         * from slot 0), padded with TOP up to its max_locals, then the weaver's locals.
         */
        private void frame(List<Object> methodLocals, Object... stack) {
            List<Object> locals = new ArrayList<>(methodLocals);
            int slots = 0;
            for (Object l : locals) {
                slots += l == Opcodes.LONG || l == Opcodes.DOUBLE ? 2 : 1;
            }
            for (; slots < firstLocal; slots++) {
                locals.add(Opcodes.TOP);
            }
            locals.addAll(ownFrameLocals);
            super.visitFrame(Opcodes.F_NEW, locals.size(), locals.toArray(), stack.length, stack);
        }

        private void invokeHook(InterceptionPoint.Call call) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, hooksClass != null ? hooksClass : call.hooksClass, call.hook,
                    hookDescriptor(call, point, descriptor), false);
        }

        private int newLocal(Type type, Object frameType) {
            int local = nextLocal;
            nextLocal += type.getSize();
            ownFrameLocals.add(frameType);
            return local;
        }

        private int parameterSlot(int index) {
            int slot = isStatic ? 0 : 1;
            for (int i = 0; i < index; i++) {
                slot += parameters[i].getSize();
            }
            return slot;
        }

        private void pushDefault(Type t) {
            switch (t.getSort()) {
                case Type.VOID: break;
                case Type.LONG: super.visitInsn(Opcodes.LCONST_0); break;
                case Type.FLOAT: super.visitInsn(Opcodes.FCONST_0); break;
                case Type.DOUBLE: super.visitInsn(Opcodes.DCONST_0); break;
                case Type.OBJECT:
                case Type.ARRAY: super.visitInsn(Opcodes.ACONST_NULL); break;
                default: super.visitInsn(Opcodes.ICONST_0);
            }
        }

        private static Object frameType(Type t) {
            switch (t.getSort()) {
                case Type.LONG: return Opcodes.LONG;
                case Type.FLOAT: return Opcodes.FLOAT;
                case Type.DOUBLE: return Opcodes.DOUBLE;
                case Type.OBJECT: return t.getInternalName();
                case Type.ARRAY: return t.getDescriptor();
                default: return Opcodes.INTEGER;
            }
        }
    }
}
