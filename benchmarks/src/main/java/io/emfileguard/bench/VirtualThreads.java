package io.emfileguard.bench;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Virtual threads (JDK 21+) reached reflectively, so the module compiles for and runs on JDK 17. */
final class VirtualThreads {
    private static final Method PER_TASK_EXECUTOR = find(Executors.class, "newVirtualThreadPerTaskExecutor");
    private static final Method START = find(Thread.class, "startVirtualThread", Runnable.class);

    private VirtualThreads() {
    }

    static boolean available() {
        return PER_TASK_EXECUTOR != null && START != null;
    }

    /** One virtual thread per task; a cached pool of platform threads where there are none. */
    static ExecutorService perTaskExecutor() {
        if (PER_TASK_EXECUTOR == null) {
            return Executors.newCachedThreadPool();
        }
        try {
            return (ExecutorService) PER_TASK_EXECUTOR.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts a virtual thread (a platform daemon thread where there are none). */
    static Thread start(Runnable task) {
        if (START == null) {
            Thread t = new Thread(task);
            t.setDaemon(true);
            t.start();
            return t;
        }
        try {
            return (Thread) START.invoke(null, task);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Method find(Class<?> c, String name, Class<?>... params) {
        try {
            return c.getMethod(name, params);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
