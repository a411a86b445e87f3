package io.emfileguard.agent.interception;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Stands in for SocketHooks in {@link WeaverTest}: records every call. */
public final class TestHooks {
    static final List<String> CALLS = new ArrayList<>();

    /** Returned by {@link #beforeSend} for "refuse": the body is skipped. */
    public static final class Refused {
    }

    private TestHooks() {
    }

    public static void constructing(Object owner) {
        CALLS.add("constructing " + owner);
    }

    public static void constructed(Object self) throws ReflectiveOperationException {
        CALLS.add("constructed " + self.getClass().getDeclaredField("label").get(self));
    }

    public static boolean beforeCreate(boolean server, boolean stream) {
        CALLS.add("beforeCreate " + server + " " + stream);
        return stream;
    }

    public static void afterCreate(Object self, boolean taken, Throwable thrown) {
        CALLS.add("afterCreate " + self.getClass().getSimpleName() + " " + taken + " " + thrown);
    }

    public static Object beforeOpen(Object family) {
        CALLS.add("beforeOpen " + family);
        return "unit";
    }

    public static void afterOpen(Object channel, Object taken, Throwable thrown) {
        CALLS.add("afterOpen " + channel + " " + taken + " " + (thrown == null ? null : thrown.getMessage()));
    }

    public static Object lookedUp(Object value, Object self) {
        CALLS.add("lookedUp " + value);
        return value == null ? "replaced" : value;
    }

    /** Replaces the executor: the woven method hands its task to this one instead. */
    public static Object executorFor(Object self, Object executor) {
        CALLS.add("executorFor(" + (executor != null) + ")");
        return (Executor) task -> {
            CALLS.add("replacement ran the task");
            task.run();
        };
    }

    public static Object beforeSend(Object self, long timeout) {
        CALLS.add("beforeSend " + timeout);
        return timeout < 0 ? new Refused() : "account";
    }

    public static Object afterSend(Object result, Object taken, Throwable thrown) {
        CALLS.add("afterSend " + result + " " + taken.getClass().getSimpleName() + " "
                + (thrown == null ? null : thrown.getClass().getSimpleName()));
        return taken instanceof Refused ? CompletableFuture.completedFuture("refused") : result;
    }

    public static void readEnded(Object self, boolean completed, Throwable thrown) {
        CALLS.add("readEnded " + completed + " " + (thrown == null ? null : thrown.getMessage()));
    }
}
