package io.emfileguard.bench;

import java.lang.instrument.Instrumentation;

/** A {@code -javaagent} that does nothing: the JVM's own price for loading an agent (start-up reference). */
public final class EmptyAgent {
    private EmptyAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        // nothing
    }
}
