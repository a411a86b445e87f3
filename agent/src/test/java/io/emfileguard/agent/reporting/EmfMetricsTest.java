package io.emfileguard.agent.reporting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmfMetricsTest {

    /** CloudWatch's accepted units (EMF specification, MetricDefinition.Unit). */
    private static final Set<String> UNITS = Set.of("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
            "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent",
            "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
            "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
            "Count/Second", "None");

    /** Checks every rule of the EMF specification that a document of this shape can break. */
    static void assertValidEmf(JsonNode root) {
        assertTrue(root.isObject(), "root must be an object");
        JsonNode aws = root.get("_aws");
        assertTrue(aws != null && aws.isObject(), "_aws metadata object required");
        assertTrue(aws.get("Timestamp").isIntegralNumber() && aws.get("Timestamp").asLong() > 1_600_000_000_000L,
                "Timestamp: epoch milliseconds");
        JsonNode directives = aws.get("CloudWatchMetrics");
        assertTrue(directives.isArray() && directives.size() >= 1, "CloudWatchMetrics: array of directives");
        for (JsonNode d : directives) {
            String ns = d.get("Namespace").asText();
            assertTrue(d.get("Namespace").isTextual() && !ns.isEmpty() && ns.length() <= 255, "Namespace 1-255 chars");
            JsonNode dims = d.get("Dimensions");
            assertTrue(dims.isArray(), "Dimensions: array of dimension sets");
            for (JsonNode set : dims) {
                assertTrue(set.isArray() && set.size() <= 30, "a dimension set has at most 30 keys");
                for (JsonNode key : set) {
                    JsonNode value = root.get(key.asText());
                    assertTrue(value != null && value.isTextual(), "dimension " + key + " must be a string member");
                }
            }
            JsonNode metrics = d.get("Metrics");
            assertTrue(metrics.isArray() && metrics.size() <= 100, "Metrics: at most 100 definitions");
            Set<String> names = new HashSet<>();
            for (JsonNode m : metrics) {
                String name = m.get("Name").asText();
                assertTrue(!name.isEmpty() && name.length() <= 255 && names.add(name), "unique Name 1-255: " + name);
                if (m.has("Unit")) {
                    assertTrue(UNITS.contains(m.get("Unit").asText()), "unit " + m.get("Unit"));
                }
                JsonNode value = root.get(name);
                assertTrue(value != null && value.isNumber(), "metric " + name + " must be a number member");
            }
        }
    }

    @Test
    void writesOneValidEmfLinePerActiveIntervalAndNothingWhenQuiet() throws Exception {
        SocketGate gate = new SocketGate(new GateSettings(2, 10, 50, GateSettings.OnTimeout.PROCEED, null));
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        EmfMetrics emf = new EmfMetrics(gate, null, "emfile-guard",
                Map.of("AWS_LAMBDA_FUNCTION_NAME", "orders-\"fan-out\""), out);

        gate.acquire(true);
        gate.acquire(true);
        gate.acquire(true); // waits 50 ms, times out, proceeds above the cap
        gate.release();
        String line = emf.emitIfActive(System.currentTimeMillis());
        assertEquals(line + System.lineSeparator(), buffer.toString(StandardCharsets.UTF_8), "exactly one line");

        JsonNode root = new ObjectMapper().readTree(line);
        assertValidEmf(root);
        assertEquals("emfile-guard", root.at("/_aws/CloudWatchMetrics/0/Namespace").asText());
        assertEquals("orders-\"fan-out\"", root.get("FunctionName").asText());
        assertEquals(3, root.get("OpenSocketsPeak").asInt());
        assertEquals(2, root.get("OpenSockets").asInt());
        assertEquals(1, root.get("Waits").asInt());
        assertEquals(1, root.get("Timeouts").asInt());
        assertTrue(root.get("WaitTime").asLong() >= 50);

        assertNull(emf.emitIfActive(System.currentTimeMillis()), "nothing happened: no line");
        gate.release();
        JsonNode next = new ObjectMapper().readTree(emf.emitIfActive(System.currentTimeMillis()));
        assertValidEmf(next);
        assertEquals(0, next.get("Waits").asInt(), "counts are per interval");
        assertEquals(2, next.get("OpenSocketsPeak").asInt());
    }

    @Test
    void usesAServiceDimensionOutsideLambda() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        gate.acquire(true);
        EmfMetrics emf = new EmfMetrics(gate, null, "my-ns", Map.of(), new PrintStream(new ByteArrayOutputStream()));
        JsonNode root = new ObjectMapper().readTree(emf.emitIfActive(System.currentTimeMillis()));
        assertValidEmf(root);
        assertEquals("emfile-guard", root.get("Service").asText());
    }
}
