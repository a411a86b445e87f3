package io.emfileguard.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Per-connect cost: connect + close to the loopback accept server, in its own JVM (run with and
 * without the agent, both alive at once). {@code SO_LINGER 0} makes close send a reset, so no
 * TIME_WAIT piles up on the client's ephemeral ports however fast the loop runs.
 *
 * <p>Interactive, so that the runner can alternate batches between the two JVMs (slow drifts in the
 * machine's load then hit both alike): warms up for at least {@code warmupMillis} and at least
 * {@link #WARMUP_CONNECTS} connects (JIT, and the agent's background set-up), prints {@code READY},
 * then for each {@code RUN} line on stdin times {@code perBatch} connects and prints
 * {@code BATCH <wall ns per connect> <CPU ns of this thread per connect>}; {@code EXIT} or end of
 * input ends it. Arguments: port warmupMillis perBatch.
 */
public final class ConnectLoop {
    static final int WARMUP_CONNECTS = 10_000;

    private ConnectLoop() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        long warmupMillis = Long.parseLong(args[1]);
        int perBatch = Integer.parseInt(args[2]);
        long warmEnd = System.nanoTime() + warmupMillis * 1_000_000L;
        int warm = 0;
        while ((System.nanoTime() < warmEnd || warm < WARMUP_CONNECTS) && warm < 2_000_000) {
            connectClose(target);
            warm++;
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.println("READY " + warm);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (int n = 0; n < 100_000; n++) {
            String cmd = in.readLine();
            if (cmd == null || cmd.equals("EXIT")) {
                return;
            }
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < perBatch; i++) {
                connectClose(target);
            }
            double wall = (System.nanoTime() - t0) / (double) perBatch;
            double cpu = (threads.getCurrentThreadCpuTime() - c0) / (double) perBatch;
            System.out.println("BATCH " + wall + " " + cpu);
            System.out.flush();
        }
    }

    static void connectClose(InetSocketAddress target) throws IOException {
        Socket s = new Socket();
        try {
            s.setSoLinger(true, 0);
            s.connect(target, 5_000);
        } finally {
            s.close();
        }
    }
}
