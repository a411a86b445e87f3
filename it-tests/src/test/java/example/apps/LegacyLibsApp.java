package example.apps;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.implementation.MethodDelegation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static net.bytebuddy.matcher.ElementMatchers.named;

/**
 * An application that ships its own, older Byte Buddy, SLF4J 1.7 and Logback 1.2 (as many do):
 * it generates classes with its Byte Buddy at run time and logs through Logback (to stdout, see
 * {@code legacy-logback.xml}), and it talks to a server. Its stdout must be the same with the agent
 * attached as without; what the test wants to know about the agent goes to {@code -Dit.probe.file}.
 *
 * <p>Arg: the port of a loopback latency server.
 */
public final class LegacyLibsApp {

    /** What the app extends at run time. */
    public static class Greeter {
        public String greet(String who) {
            return "hello " + who;
        }

        public int answer() {
            return 0;
        }
    }

    /** A delegation target for the generated class. */
    public static class Shouter {
        public static String greet(String who) {
            return "HELLO " + who.toUpperCase();
        }
    }

    public static void main(String[] args) throws Exception {
        Logger log = LoggerFactory.getLogger(LegacyLibsApp.class);
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        if (mbeanWait > 0) {
            GateProbe.await(mbeanWait);
        }
        log.info("libraries: {}, {}, {}", jar(ByteBuddy.class), jar(LoggerFactory.class),
                jar(ch.qos.logback.classic.Logger.class));
        log.info("slf4j binding: {}", LoggerFactory.getILoggerFactory().getClass().getName());

        // The app's own Byte Buddy, its own API (explicit class file version: 1.14 predates JDK 25).
        Class<? extends Greeter> generated = new ByteBuddy(ClassFileVersion.JAVA_V17)
                .subclass(Greeter.class)
                .name("example.apps.GeneratedGreeter")
                .method(named("greet")).intercept(MethodDelegation.to(Shouter.class))
                .method(named("answer")).intercept(FixedValue.value(42))
                .make()
                .load(LegacyLibsApp.class.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
                .getLoaded();
        Greeter g = generated.getDeclaredConstructor().newInstance();
        log.info("generated {} (loaded by its own class loader: {}): greet -> '{}', answer -> {}",
                generated.getName(), generated.getClassLoader() != LegacyLibsApp.class.getClassLoader(),
                g.greet("world"), g.answer());

        for (int i = 0; i < 3; i++) {
            log.info("request {} -> {}", i, PlainApp.request(server, "REQ " + i));
        }
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = new Socket();
            s.connect(server, 5000);
            s.getOutputStream().write(("HOLD " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            held.add(s);
        }
        GateProbe.report("held3 " + GateProbe.describe() + " tcpFds=" + GateProbe.socketFds());
        for (Socket s : held) {
            s.close();
        }
        GateProbe.report("closed " + GateProbe.describe() + " tcpFds=" + GateProbe.socketFds());
        log.info("held {} connections at once, then closed them", held.size());
        log.info("done");
    }

    private static String jar(Class<?> type) throws Exception {
        return new File(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getName();
    }
}
