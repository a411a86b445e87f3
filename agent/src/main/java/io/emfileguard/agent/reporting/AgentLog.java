package io.emfileguard.agent.reporting;

import io.emfileguard.agent.config.AgentConfig;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * The agent's log: one line per message on stderr, {@code LEVEL emfile-guard - message}, with
 * SLF4J-style {@code {}} placeholders. Written by hand rather than through a logging framework: set-up
 * costs nothing at start-up, and the application's own logging configuration can never capture or
 * silence the agent's lines.
 */
public final class AgentLog {

    private static volatile Log log;

    private AgentLog() {
    }

    public static void configure(AgentConfig.LogLevel level) {
        log = new Log(level);
    }

    public static Log get() {
        Log l = log;
        if (l == null) {
            l = new Log(AgentConfig.LogLevel.INFO);
            log = l;
        }
        return l;
    }

    /** A logger at one threshold; {@link AgentConfig.LogLevel#OFF} prints nothing. */
    public static final class Log {
        private final AgentConfig.LogLevel threshold;

        Log(AgentConfig.LogLevel threshold) {
            this.threshold = threshold;
        }

        public void error(String format, Object... args) {
            log(AgentConfig.LogLevel.ERROR, format, args);
        }

        public void warn(String format, Object... args) {
            log(AgentConfig.LogLevel.WARN, format, args);
        }

        public void info(String format, Object... args) {
            log(AgentConfig.LogLevel.INFO, format, args);
        }

        public void debug(String format, Object... args) {
            log(AgentConfig.LogLevel.DEBUG, format, args);
        }

        public boolean isEnabled(AgentConfig.LogLevel level) {
            return threshold != AgentConfig.LogLevel.OFF && level.ordinal() <= threshold.ordinal();
        }

        private void log(AgentConfig.LogLevel level, String format, Object[] args) {
            if (!isEnabled(level)) {
                return;
            }
            System.err.println(format(level, format, args));
        }
    }

    /** {@code LEVEL emfile-guard - message}; a Throwable left over after the placeholders adds its stack trace. */
    static String format(AgentConfig.LogLevel level, String format, Object... args) {
        StringBuilder sb = new StringBuilder(level.name()).append(" emfile-guard - ");
        int next = 0;
        int from = 0;
        for (int at = format.indexOf("{}"); at >= 0 && next < args.length; at = format.indexOf("{}", from)) {
            sb.append(format, from, at).append(args[next++]);
            from = at + 2;
        }
        sb.append(format, from, format.length());
        if (next < args.length && args[args.length - 1] instanceof Throwable) {
            StringWriter trace = new StringWriter();
            ((Throwable) args[args.length - 1]).printStackTrace(new PrintWriter(trace));
            sb.append(System.lineSeparator()).append(trace.toString().trim());
        }
        return sb.toString();
    }
}
