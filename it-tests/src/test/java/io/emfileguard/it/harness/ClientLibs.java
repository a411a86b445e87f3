package io.emfileguard.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class path of the client children: every jar this module's test scope resolves (OkHttp,
 * Apache HttpClient, the AWS SDK and its HTTP clients, Netty, SLF4J with its no-op binding), copied
 * by maven-dependency-plugin to {@code target/client-libs} without JUnit, Logback and the legacy
 * Byte Buddy (see the pom).
 */
public final class ClientLibs {
    private ClientLibs() {
    }

    public static List<Path> jars() {
        Path dir = Paths.get(System.getProperty("it.client.libs", "target/client-libs"));
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().collect(Collectors.toList());
            assertTrue(jars.stream().anyMatch(p -> p.getFileName().toString().startsWith("okhttp-jvm-")),
                    "OkHttp in " + dir + ": " + jars);
            return jars;
        } catch (IOException e) {
            throw new AssertionError("no client libraries in " + dir + "; run through Maven (pre-integration-test "
                    + "copies them)", e);
        }
    }

    /** The OpenTelemetry Java agent jar ({@code target/otel/opentelemetry-javaagent.jar}). */
    public static Path openTelemetryAgent() {
        Path jar = Paths.get(System.getProperty("it.otel.agent.jar", "target/otel/opentelemetry-javaagent.jar"));
        assertTrue(Files.isRegularFile(jar), "the OpenTelemetry Java agent is not at " + jar);
        return jar.toAbsolutePath();
    }
}
