package io.emfileguard.agent.reporting;

import io.emfileguard.agent.config.AgentConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log side of the one route for internal errors: one line per kind, a bounded number of kinds. */
class GateEventLogTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureStderr() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        AgentLog.configure(AgentConfig.LogLevel.INFO);
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(originalErr);
    }

    private List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (String line : err.toString(StandardCharsets.UTF_8).split("\\R")) {
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return lines;
    }

    @Test
    void logsEachKindOfInternalErrorOnceWithWhereItWasThrownAndNamesTheCountForRepeats() {
        GateEventLog log = new GateEventLog();
        IllegalStateException error = new IllegalStateException("broken");
        log.internalError("socket close", error);
        log.internalError("socket close", new IllegalStateException("again"));
        log.internalError("socket close", new NullPointerException());
        log.internalError("socket read", error);

        List<String> lines = lines();
        assertEquals(3, lines.size(), "one line per (where, error class): " + lines);
        String first = lines.get(0);
        assertTrue(first.startsWith("ERROR emfile-guard - internal error in socket close"), first);
        assertTrue(first.contains("java.lang.IllegalStateException: broken at " + error.getStackTrace()[0]), first);
        assertTrue(first.contains(GateMetric.INTERNAL_ERRORS.attribute), "names the count of repeats: " + first);
        assertTrue(lines.get(1).contains("socket close") && lines.get(1).contains("NullPointerException"), lines.get(1));
        assertTrue(lines.get(2).contains("socket read"), lines.get(2));
    }

    @Test
    void logsABoundedNumberOfKindsThenSaysTheRestAreOnlyCounted() {
        GateEventLog log = new GateEventLog();
        int kinds = GateEventLog.MAX_LOGGED_ERROR_KINDS + 10;
        for (int i = 0; i < kinds; i++) {
            log.internalError("place " + i, new IllegalStateException());
        }
        List<String> lines = lines();
        assertEquals(GateEventLog.MAX_LOGGED_ERROR_KINDS + 1, lines.size(), "the limit, then one line saying so");
        String last = lines.get(lines.size() - 1);
        assertTrue(last.contains("only counted in " + GateMetric.INTERNAL_ERRORS.attribute), last);
    }
}
