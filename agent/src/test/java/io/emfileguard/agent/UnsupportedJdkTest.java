package io.emfileguard.agent;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a JDK without {@code sun.nio.ch.NioSocketImpl} (Java 11) the agent cannot see blocking sockets:
 * it says so in one line and touches nothing.
 */
class UnsupportedJdkTest {

    @Test
    void java11IsUnsupportedAndSaysWhy() {
        String why = EmfileGuardAgent.unsupportedJdk("11.0.24", false);
        assertNotNull(why);
        assertTrue(why.contains("Java 11.0.24") && why.contains("sun.nio.ch.NioSocketImpl"), why);
    }

    @Test
    void aJdkWithNioSocketImplIsSupported() {
        assertNull(EmfileGuardAgent.unsupportedJdk("17.0.19", true));
        assertTrue(EmfileGuardAgent.hasNioSocketImpl(), "the JDK running the tests (17+) has NioSocketImpl");
        assertNull(EmfileGuardAgent.unsupportedJdk(System.getProperty("java.version"), EmfileGuardAgent.hasNioSocketImpl()));
    }

    @Test
    void featureVersionReadsSpecificationVersions() {
        assertEquals(11, EmfileGuardAgent.featureVersion("11"));
        assertEquals(25, EmfileGuardAgent.featureVersion("25"));
        assertEquals(1, EmfileGuardAgent.featureVersion("1.8"));
        assertEquals(0, EmfileGuardAgent.featureVersion(null));
    }

    /** Any call on the Instrumentation (a transformer, a module change, a retransform) fails the test. */
    @Test
    void onAnUnsupportedJdkPremainPrintsOneLineAndTouchesNothing() {
        List<String> calls = new ArrayList<>();
        Instrumentation inst = (Instrumentation) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Instrumentation.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    throw new AssertionError("Instrumentation." + method.getName() + " called");
                });
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            EmfileGuardAgent.start(null, inst, false, EmfileGuardAgent.unsupportedJdk("11.0.24", false));
        } finally {
            System.setErr(saved);
        }
        String err = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(List.of(), calls);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("WARN emfile-guard - not active: Java 11.0.24 has no sun.nio.ch.NioSocketImpl"), err);
    }
}
