package io.emfileguard.agent.reporting;

import io.emfileguard.agent.config.AgentConfig;
import org.slf4j.Logger;
import org.slf4j.simple.SimpleLoggerFactory;

/**
 * The agent's logger: SLF4J's simple binding, relocated inside the agent jar, writing to stderr.
 * The factory is created directly rather than through {@code LoggerFactory}'s service discovery, so
 * the application's own SLF4J binding and its {@code slf4j.provider} setting can never capture or
 * silence the agent's lines (and start-up skips a ServiceLoader scan).
 */
public final class AgentLog {

    private static volatile Logger logger;

    private AgentLog() {
    }

    public static synchronized void configure(AgentConfig.LogLevel level) {
        // Relocated by the shade plugin to the agent's own property names; the app's are untouched.
        String prefix = "org.slf4j.simpleLogger.";
        System.setProperty(prefix + "logFile", "System.err");
        System.setProperty(prefix + "defaultLogLevel", level.name().toLowerCase());
        System.setProperty(prefix + "showThreadName", "false");
        System.setProperty(prefix + "showLogName", "true");
        System.setProperty(prefix + "levelInBrackets", "false");
        logger = new SimpleLoggerFactory().getLogger("emfile-guard");
    }

    public static Logger get() {
        Logger l = logger;
        if (l == null) {
            configure(AgentConfig.LogLevel.INFO);
            l = logger;
        }
        return l;
    }
}
