package io.emfileguard.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The one route for internal errors ({@link SocketHooks#internalError}): every error the agent does
 * not expect is counted and reported there, never dropped and never thrown into the application.
 */
class InternalErrorRouteTest {

    /** What reached the diagnostics: "where: error". */
    private final List<String> reported = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final SocketHooks.Diagnostics recording = (where, error) -> {
        reported.add(where + ": " + error);
        errors.add(error);
    };

    @AfterEach
    void uninstall() {
        SocketHooks.install(null, null, null, null);
    }

    @Test
    void everyErrorIsCountedAndReachesTheDiagnostics() {
        SocketHooks.install(null, null, null, recording);
        long before = SocketHooks.internalErrorsTotal();
        IllegalStateException error = new IllegalStateException("x");
        SocketHooks.internalError("somewhere", error);
        SocketHooks.internalError("somewhere", error);
        assertEquals(before + 2, SocketHooks.internalErrorsTotal(), "every one counted, repeats too");
        assertEquals(List.of("somewhere: " + error, "somewhere: " + error), reported);
        assertSame(error, errors.get(0));
    }

    @Test
    void aReportThatFailsItselfIsStillCountedAndNeverThrown() {
        SocketHooks.install(null, null, null, (where, error) -> {
            throw new IllegalStateException("the log is broken");
        });
        long before = SocketHooks.internalErrorsTotal();
        SocketHooks.internalError("somewhere", new RuntimeException());
        assertEquals(before + 1, SocketHooks.internalErrorsTotal());
    }
}
