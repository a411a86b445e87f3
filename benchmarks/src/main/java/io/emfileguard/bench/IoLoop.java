package io.emfileguard.bench;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Per-I/O cost on one connected socket (the agent stamps every read and write for idle
 * reclamation): 64-byte writes (Nagle on: most writes only copy into the send buffer) to the
 * loopback sink, and 64-byte reads from the loopback source (which keeps the receive buffer full, so
 * every read is one system call that never blocks). Both connections stay open.
 *
 * <p>Interactive like {@link ConnectLoop}: warms up, prints {@code READY}, then for each
 * {@code RUN} line prints {@code BATCH <ns per write> <ns per read>} ({@code perBatch} of each).
 * Arguments: sinkPort sourcePort warmupMillis perBatch.
 */
public final class IoLoop {
    private IoLoop() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int sinkPort = Integer.parseInt(args[0]);
        int sourcePort = Integer.parseInt(args[1]);
        long warmupMillis = Long.parseLong(args[2]);
        int perBatch = Integer.parseInt(args[3]);
        byte[] buf = new byte[64];
        try (Socket sink = new Socket(); Socket source = new Socket()) {
            sink.connect(new InetSocketAddress(lo, sinkPort), 5_000);
            source.connect(new InetSocketAddress(lo, sourcePort), 5_000);
            OutputStream out = sink.getOutputStream();
            InputStream in = source.getInputStream();
            long warmEnd = System.nanoTime() + warmupMillis * 1_000_000L;
            for (int i = 0; i < 1_000 && (System.nanoTime() < warmEnd || i < 20); i++) {
                writes(out, buf, 10_000);
                reads(in, buf, 10_000);
            }
            System.out.println("READY");
            System.out.flush();
            BufferedReader cmds = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (int n = 0; n < 100_000; n++) {
                String cmd = cmds.readLine();
                if (cmd == null || cmd.equals("EXIT")) {
                    return;
                }
                long t0 = System.nanoTime();
                writes(out, buf, perBatch);
                long t1 = System.nanoTime();
                reads(in, buf, perBatch);
                long t2 = System.nanoTime();
                System.out.println("BATCH " + (t1 - t0) / (double) perBatch + " " + (t2 - t1) / (double) perBatch);
                System.out.flush();
            }
        }
    }

    private static void writes(OutputStream out, byte[] buf, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            out.write(buf);
        }
    }

    private static void reads(InputStream in, byte[] buf, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            if (in.read(buf) < 0) {
                throw new IllegalStateException("source closed");
            }
        }
    }
}
