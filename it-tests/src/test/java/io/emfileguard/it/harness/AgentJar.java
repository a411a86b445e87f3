package io.emfileguard.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.fail;

/** The agent jar under test: {@code agent/target/emfile-guard-agent.jar}, built before this module. */
public final class AgentJar {
    private AgentJar() {
    }

    public static Path path() {
        String configured = System.getProperty("it.agent.jar");
        if (configured == null) {
            fail("system property it.agent.jar is not set; run the tests through Maven (mvn -B verify "
                    + "from the repository root), which passes agent/target/emfile-guard-agent.jar");
        }
        Path jar = Paths.get(configured).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            fail("agent jar not found at " + jar + ": build the agent module first (mvn -B verify from the "
                    + "repository root builds it before it-tests, or: mvn -B -pl agent -DskipTests package)");
        }
        return jar;
    }
}
