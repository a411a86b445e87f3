package io.emfileguard.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Per-connect cost: connect + close to the loopback accept server, in a loop, in its own JVM (run
 * with and without the agent). {@code SO_LINGER 0} makes close send a reset, so no TIME_WAIT piles
 * up on the client's ephemeral ports however fast the loop runs. Warm-up runs for a fixed time
 * (JIT, and the agent's background set-up), then {@code batches} batches of {@code perBatch}
 * connects are timed. Prints {@code RESULT <median ns per connect>}.
 * Arguments: port warmupMillis batches perBatch.
 */
public final class ConnectLoop {
    private ConnectLoop() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        long warmupMillis = Long.parseLong(args[1]);
        int batches = Integer.parseInt(args[2]);
        int perBatch = Integer.parseInt(args[3]);

        long warmEnd = System.nanoTime() + warmupMillis * 1_000_000L;
        int warm = 0;
        while (System.nanoTime() < warmEnd && warm < 2_000_000) {
            connectClose(target);
            warm++;
        }
        double[] nsPerOp = new double[batches];
        for (int b = 0; b < batches; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perBatch; i++) {
                connectClose(target);
            }
            nsPerOp[b] = (System.nanoTime() - t0) / (double) perBatch;
            System.out.println("BATCH " + b + " " + nsPerOp[b]);
        }
        System.out.println("RESULT " + Stats.median(nsPerOp) + " warmup=" + warm);
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
