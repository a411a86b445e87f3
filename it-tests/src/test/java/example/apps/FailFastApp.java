package example.apps;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One connection in use (a thread blocked reading its reply), then more connects while it is open.
 * Run with {@code max.sockets=1, on.timeout=fail}: what happens to the connects that cannot get a
 * socket. Knows nothing of the agent but its MBean's name.
 *
 * <p>Args: mode (timeout|interrupt), server port. Prints {@code attempt ...}/{@code interrupt ...}
 * lines with timings, each followed by a {@code message <n> <exception message>} line, and
 * {@code released ...} after the held connection is closed.
 */
public final class FailFastApp {

    private static InetSocketAddress server;

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        server = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[1]));
        if (!GateProbe.await(10_000)) {
            System.out.println("gate absent");
            System.exit(2);
        }
        // The held connection: its owner is inside read(), as a request waiting for its reply is.
        Socket held = new Socket();
        held.connect(server, 5000);
        held.getOutputStream().write("HOLD in-flight\n".getBytes(StandardCharsets.US_ASCII));
        Thread reader = new Thread(() -> {
            try (InputStream in = held.getInputStream()) {
                in.read();
            } catch (IOException expectedWhenClosed) {
                // closed by main below
            }
        }, "held-reader");
        reader.start();
        System.out.println("held " + GateProbe.describe());

        if (mode.equals("timeout")) {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                Throwable failure = null;
                try (Socket s = new Socket()) {
                    s.connect(server, 5000);
                } catch (Throwable t) {
                    failure = t;
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                report("attempt", i, "ms=" + ms, failure, Thread.currentThread().isInterrupted());
            }
        } else {
            AtomicReference<String> outcome = new AtomicReference<>("none");
            long[] interruptedAt = new long[1];
            Thread waiter = new Thread(() -> {
                long t0 = System.nanoTime();
                Throwable failure = null;
                try (Socket s = new Socket()) {
                    s.connect(server, 5000);
                } catch (Throwable t) {
                    failure = t;
                }
                long now = System.nanoTime();
                outcome.set(line("interrupt", 0, "waitedMs=" + (now - t0) / 1_000_000
                        + " sinceInterruptMs=" + (now - interruptedAt[0]) / 1_000_000, failure,
                        Thread.currentThread().isInterrupted()));
            }, "waiter");
            waiter.start();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (GateProbe.get("WaitingThreads") < 1 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            System.out.println("parked waitingThreads=" + GateProbe.get("WaitingThreads") + " state=" + waiter.getState());
            Thread.sleep(300); // well inside its wait
            interruptedAt[0] = System.nanoTime();
            waiter.interrupt();
            waiter.join(10_000);
            System.out.println(outcome.get());
        }
        System.out.println("before-release " + GateProbe.describe());

        held.close();
        reader.join(10_000);
        long t0 = System.nanoTime();
        String ok;
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            ok = "1";
        } catch (IOException e) {
            ok = "0 " + e;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("released connectMs=" + ms + " " + GateProbe.describe() + " connected=" + ok);
    }

    private static void report(String what, int n, String timing, Throwable failure, boolean interrupted) {
        System.out.println(line(what, n, timing, failure, interrupted));
    }

    private static String line(String what, int n, String timing, Throwable failure, boolean interrupted) {
        return what + " n=" + n + " " + timing
                + " failed=" + (failure == null ? 0 : 1)
                + " exception=" + (failure == null ? "none" : failure.getClass().getName())
                + " socketException=" + (failure instanceof SocketException ? 1 : 0)
                + " interruptKept=" + (interrupted ? 1 : 0)
                + "\nmessage " + n + " " + (failure == null ? "" : failure.getMessage());
    }
}
