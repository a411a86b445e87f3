package io.emfileguard.demo;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Tells a descriptor-limit failure apart from every other failure, through any wrapping. */
public final class Failures {

    /** The text of EMFILE ({@code strerror(24)}) as the JDK puts it into its exceptions. */
    public static final String TOO_MANY_OPEN_FILES = "Too many open files";

    private Failures() {
    }

    /**
     * True when {@code failure}, any of its causes or anything suppressed in them says
     * "Too many open files": the SDK wraps it in {@code SdkClientException}, futures in
     * {@code CompletionException}, the JDK HttpClient in a {@code ConnectException}.
     */
    public static boolean isTooManyOpenFiles(Throwable failure) {
        return find(failure, Collections.newSetFromMap(new IdentityHashMap<>()), 0) != null;
    }

    private static Throwable find(Throwable t, Set<Throwable> seen, int depth) {
        if (t == null || depth > 32 || !seen.add(t)) {
            return null;
        }
        String message = t.getMessage();
        if (message != null && message.contains(TOO_MANY_OPEN_FILES)) {
            return t;
        }
        for (Throwable suppressed : t.getSuppressed()) {
            Throwable hit = find(suppressed, seen, depth + 1);
            if (hit != null) {
                return hit;
            }
        }
        return find(t.getCause(), seen, depth + 1);
    }

    /** A short, stable description for grouping: the innermost informative cause, class and message. */
    public static String describe(Throwable failure) {
        Throwable t = unwrap(failure);
        Throwable emfile = find(t, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
        if (emfile != null) {
            // the innermost exception that says it: the JDK's own SocketException, not its wrappers
            Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Throwable c = emfile.getCause(); c != null && seen.add(c); c = c.getCause()) {
                if (c.getMessage() != null && c.getMessage().contains(TOO_MANY_OPEN_FILES)) {
                    emfile = c;
                }
            }
            t = emfile;
        } else {
            // The first I/O exception says what happened (ConnectException: Connection refused); the
            // wrappers around it add URLs and retry counts, and the JDK HttpClient hides a
            // ClosedChannelException below it. Without one, the root cause.
            Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            Throwable io = null;
            for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
                if (c instanceof java.io.IOException && !(c.getCause() instanceof java.io.IOException
                        && c.getClass() == java.io.IOException.class)) {
                    io = c;
                    break;
                }
                t = c;
            }
            t = io != null ? io : t;
        }
        String message = t.getMessage();
        String text = t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        text = text.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
        return text.length() > 140 ? text.substring(0, 137) + "..." : text;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
