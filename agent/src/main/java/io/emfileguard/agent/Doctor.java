package io.emfileguard.agent;

import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.config.ConfigResolver;
import io.emfileguard.agent.config.DescriptorLimit;
import io.emfileguard.agent.config.Setting;
import io.emfileguard.agent.interception.InterceptionPoint;
import io.emfileguard.agent.interception.InterceptionPoints;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * {@code java -jar emfile-guard-agent.jar}: what the agent would do in this environment: version,
 * effective settings and where each came from, the descriptor limits, whether each interception
 * point exists on this JDK. {@code --attach <pid> [key=value ...]} loads the agent into a running
 * JVM; {@code --report <pid>} prints that JVM's open sockets by peer.
 */
final class Doctor {
    private Doctor() {
    }

    static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("--attach")) {
            System.exit(attach(args[1], String.join(",", Arrays.copyOfRange(args, 2, args.length))));
        } else if (args.length == 2 && args[0].equals("--report")) {
            System.exit(report(args[1]));
        } else if (args.length > 0 && (args[0].equals("--help") || args[0].startsWith("--"))) {
            System.out.println("usage: java -jar emfile-guard-agent.jar [key=value ...]   print the effective set-up\n"
                    + "       java -jar emfile-guard-agent.jar --attach <pid> [key=value ...]\n"
                    + "       java -jar emfile-guard-agent.jar --report <pid>");
            System.exit(args[0].equals("--help") ? 0 : 2);
        }
        describe(args, System.out);
    }

    static void describe(String[] args, PrintStream out) {
        String agentArgs = args.length > 0 ? String.join(",", args) : null;
        DescriptorLimit limit = DescriptorLimit.ofCurrentProcess();
        AgentConfig config = ConfigResolver.resolve(agentArgs, System.getenv(), System.getProperties(), limit);
        out.println(Version.get() + " on Java " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vm.name") + ")");
        String unsupported = EmfileGuardAgent.unsupportedJdk(System.getProperty("java.version"),
                EmfileGuardAgent.hasNioSocketImpl());
        if (unsupported != null) {
            out.println("NOT SUPPORTED here: " + unsupported + "; attached, the agent says so and does nothing");
        }
        out.println();
        out.println("descriptor limit of this process: soft " + (limit.soft() < 0 ? "unknown" : limit.soft())
                + ", hard " + (limit.hard() < 0 ? "unknown" : limit.hard()));
        String[] fds = new File("/proc/self/fd").list();
        if (fds != null) {
            out.println("descriptors in use now: " + (fds.length - 1));
        }
        out.println();
        out.println("settings (system property emfileguard.<key> > env EMFILEGUARD_<KEY> > agent argument > default):");
        for (Setting s : Setting.values()) {
            out.printf("  %-26s %-22s %s%n", s.key, config.valueOf(s), config.sourceOf(s).label);
        }
        for (String p : config.problems()) {
            out.println("  problem: " + p);
        }
        out.println();
        out.println("interception points (JDK classes on this JDK; library classes are woven if the "
                + "application loads them):");
        for (InterceptionPoint p : InterceptionPoints.ALL) {
            String status;
            if (!p.inJdk()) {
                status = "library";
            } else {
                status = ClassLoader.getSystemResource(p.className().replace('.', '/') + ".class") != null
                        ? "present" : "MISSING";
            }
            out.printf("  %-8s %-62s %s%n", status, p.className() + "." + p.methodName(), p.why());
        }
        out.println();
        out.println("attach with: -javaagent:" + agentJar() + "  (or in JAVA_TOOL_OPTIONS)");
    }

    /** Loads the agent into a running JVM through the attach API. */
    static int attach(String pid, String agentArgs) {
        try {
            ByteBuddyAgent.attach(jarForAttach(), pid, agentArgs.isEmpty() ? null : agentArgs);
            System.out.println("emfile-guard loaded into " + pid + "; its stderr shows the agent's start-up line "
                    + "(or that it was already active)");
            return 0;
        } catch (Exception e) {
            System.err.println("could not attach to " + pid + ": " + e);
            return 1;
        }
    }

    /** Prints the leak report of a JVM that runs the agent. */
    static int report(String pid) {
        File file = null;
        try {
            file = File.createTempFile("emfile-guard-report-", ".txt");
            ByteBuddyAgent.attach(jarForAttach(), pid,
                    EmfileGuardAgent.REPORT_ARGUMENT + file.getAbsolutePath());
            System.out.print(new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8));
            return 0;
        } catch (Exception e) {
            System.err.println("could not get the report from " + pid + ": " + e);
            return 1;
        } finally {
            if (file != null) {
                file.delete();
            }
        }
    }

    /**
     * The agent jar to load into a running JVM: a copy without {@code Boot-Class-Path}. Appending
     * to the boot class path of a JVM that is already running makes it print "Sharing is only
     * supported for boot loader classes because bootstrap classpath has been appended" (JDK 17 to
     * 25); without the entry the agent injects its core itself. Kept in the temporary directory
     * under a name of the jar's size and date (the attached JVM keeps reading it), written once.
     */
    static File jarForAttach() throws IOException {
        File jar = new File(agentJar());
        File copy = new File(System.getProperty("java.io.tmpdir"),
                "emfile-guard-attach-" + jar.length() + "-" + jar.lastModified() + ".jar");
        if (copy.isFile()) {
            return copy;
        }
        File partial = File.createTempFile("emfile-guard-attach-", ".partial", copy.getParentFile());
        try (JarFile in = new JarFile(jar)) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().remove(new Attributes.Name("Boot-Class-Path"));
            try (JarOutputStream out = new JarOutputStream(new FileOutputStream(partial), manifest)) {
                Enumeration<JarEntry> entries = in.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().equalsIgnoreCase("META-INF/MANIFEST.MF")) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(e.getName()));
                    try (InputStream body = in.getInputStream(e)) {
                        body.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }
        Files.move(partial.toPath(), copy.toPath(), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return copy;
    }

    private static String agentJar() {
        try {
            return new File(Doctor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        } catch (Exception e) {
            return "emfile-guard-agent.jar"; // not a file (a nested jar): the doctor's text names the jar generically
        }
    }
}
