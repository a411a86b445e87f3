package io.emfileguard.agent.config;

/** Where a setting's effective value came from, highest precedence first. */
public enum Source {
    SYSTEM_PROPERTY("system property"),
    ENVIRONMENT("environment"),
    AGENT_ARGUMENT("agent argument"),
    DEFAULT("default"),
    DERIVED("derived from the descriptor limit"),
    LAMBDA_DEFAULT("default on AWS Lambda");

    public final String label;

    Source(String label) {
        this.label = label;
    }
}
