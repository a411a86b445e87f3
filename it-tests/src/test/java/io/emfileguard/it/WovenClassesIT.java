package io.emfileguard.it;

import example.apps.WovenClassesApp;
import io.emfileguard.it.harness.AgentJar;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.ClientLibs;
import io.emfileguard.it.harness.Jdk;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every class the agent weaves, loaded and exercised (normal and exception paths, the skipped body of
 * a refused exchange) under {@code -XX:+BytecodeVerificationLocal}: the boot loader does not verify
 * by default, so a broken weave would misbehave instead of failing. Once woven as the classes load
 * ({@code -javaagent}), once retransformed after they were loaded unwoven (the agent attached later
 * with {@code java -jar emfile-guard-agent.jar --attach <pid>}, then asked for {@code --report}).
 */
class WovenClassesIT {
    /** Every interception point woven: idle reclamation on, an exclude rule, JMX, on.timeout=fail. */
    private static final String SETTINGS = "reclaim.idle=true,exclude=192.0.2.1,jmx=true,on.timeout=fail,"
            + "max.wait.millis=300";

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void everyWovenClassPassesTheVerifierWhenWovenAsItLoads(Jdk jdk) {
        jdk.assumeAvailable();
        check(child(jdk, "woven-premain").withAgent(SETTINGS).main(WovenClassesApp.class, "premain").run());
    }

    /**
     * Under another name the jar's {@code Boot-Class-Path} entry finds nothing: the agent's classes
     * load from the application class loader and the agent defines its core in the boot loader itself.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void everyWovenClassPassesTheVerifierWhenTheAgentJarIsRenamed(Jdk jdk) throws Exception {
        jdk.assumeAvailable();
        // Under target/ (it.output.dir), not /tmp: a build leaves nothing behind outside its tree.
        java.nio.file.Path outputDir = java.nio.file.Files.createDirectories(
                java.nio.file.Path.of(System.getProperty("it.output.dir", "target/child-output")));
        java.nio.file.Path renamed = java.nio.file.Files.createTempDirectory(outputDir, "renamed-agent").resolve("guard.jar");
        java.nio.file.Files.copy(AgentJar.path(), renamed);
        check(child(jdk, "woven-renamed-jar")
                .jvmOption("-javaagent:" + renamed + "=" + SETTINGS)
                .main(WovenClassesApp.class, "premain").run());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void everyWovenClassPassesTheVerifierWhenRetransformed(Jdk jdk) {
        jdk.assumeAvailable();
        ChildJvm child = child(jdk, "woven-attach")
                .main(WovenClassesApp.class, "attach", AgentJar.path(), SETTINGS);
        if (jdk.feature >= 21) {
            child.jvmOption("-XX:+EnableDynamicAgentLoading"); // no "agent loaded dynamically" warning
        }
        ChildResult r = child.run();
        check(r);
        assertTrue(r.stdout.contains("step before-attach/socket-accept-read-write-close ok"), r::toString);
        assertTrue(r.stdout.contains("report: emfile-guard open sockets at "), () -> "no report\n" + r);
    }

    private static ChildJvm child(Jdk jdk, String label) {
        return ChildJvm.on(jdk, label)
                .jvmOption("-XX:+UnlockDiagnosticVMOptions")
                .jvmOption("-XX:+BytecodeVerificationLocal")
                // Netty's pool step: without this, Netty's use of sun.misc.Unsafe makes JDK 24+ print
                // "WARNING: A terminally deprecated method in sun.misc.Unsafe has been called".
                .systemProperty("io.netty.noUnsafe", "true")
                .classPath(ClientLibs.jars())
                .timeout(Duration.ofSeconds(90));
    }

    private static void check(ChildResult r) {
        System.out.println(r.name + ":\n" + r.stdout + r.stderr);
        assertAll(
                () -> assertEquals(0, r.exitCode, () -> "the app failed a step\n" + r),
                () -> assertTrue(r.stdout.contains("WOVEN ok"), r::toString),
                () -> assertFalse(r.stdout.contains("FAILED"), r::toString),
                () -> assertFalse(r.stderr.contains("VerifyError"), r::toString),
                () -> assertFalse(r.stderr.contains("could not instrument"), r::toString),
                () -> assertFalse(r.stderr.contains("does not exist"), r::toString),
                () -> assertFalse(r.stderr.contains("ERROR"), r::toString),
                // No JVM warning either (e.g. the CDS one a boot class path appended at run time prints).
                () -> assertFalse(r.stderr.toLowerCase(java.util.Locale.ROOT).contains("warning"), r::toString));
    }
}
