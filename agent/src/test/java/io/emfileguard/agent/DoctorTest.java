package io.emfileguard.agent;

import io.emfileguard.agent.interception.InterceptionPoint;
import io.emfileguard.agent.interception.InterceptionPoints;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

class DoctorTest {

    /** The doctor lists every interception point the transformer can weave, JDK and library alike. */
    @Test
    void reportListsEveryInterceptionPointOfTheTable() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Doctor.describe(new String[0], new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String report = bytes.toString(StandardCharsets.UTF_8);
        for (InterceptionPoint p : InterceptionPoints.ALL) {
            String line = p.className() + "." + p.methodName();
            assertTrue(report.contains(line), () -> "the doctor does not list " + line + "\n" + report);
            if (p.inJdk() && !p.className().startsWith("jdk.internal.net.http.")) {
                assertTrue(report.contains("present  " + line), () -> line + " should be present on this JDK\n" + report);
            }
        }
    }
}
