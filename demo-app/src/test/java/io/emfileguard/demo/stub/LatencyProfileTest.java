package io.emfileguard.demo.stub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatencyProfileTest {

    @Test
    void profilesGiveEachServiceItsLatency() {
        LatencyProfile uniform = new LatencyProfile("uniform", 11, 2000, 400);
        assertEquals(2000, uniform.latencyMillis(1));
        assertEquals(400, uniform.jitterMillis(11));

        LatencyProfile spread = new LatencyProfile("spread", 11, 2000, 400);
        assertEquals(500, spread.latencyMillis(1));
        assertEquals(850, spread.latencyMillis(2));
        assertEquals(4000, spread.latencyMillis(11));
        assertEquals(800, spread.jitterMillis(11));
        assertEquals(2000, spread.latencyMillis(-1), "a request naming no service: the base latency");

        LatencyProfile oneSlow = new LatencyProfile("one-slow", 11, 2000, 400);
        assertEquals(2000, oneSlow.latencyMillis(10));
        assertEquals(10_000, oneSlow.latencyMillis(11));
        assertEquals(2000, oneSlow.jitterMillis(11));
        assertThrows(IllegalArgumentException.class, () -> new LatencyProfile("skewed", 11, 2000, 400));
    }

    @Test
    void findsTheServiceInPathsAndNames() {
        assertEquals(7, LatencyProfile.serviceNumber("/services/service-7"));
        assertEquals(11, LatencyProfile.serviceNumber("service-11"));
        assertEquals(3, LatencyProfile.serviceNumber("/2015-03-31/functions/service-3/invocations"));
        assertEquals(-1, LatencyProfile.serviceNumber("/"));
        assertEquals(-1, LatencyProfile.serviceNumber(null));
    }
}
