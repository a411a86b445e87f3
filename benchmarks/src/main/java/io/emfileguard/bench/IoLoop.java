package io.emfileguard.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Per-I/O cost on one connected socket (the agent stamps every read and write for idle
 * reclamation): 64-byte writes (Nagle on: most writes only copy into the send buffer) to the loopback sink, then 64-byte reads from the loopback source
 * (which keeps the receive buffer full, so every read is one system call that never blocks).
 * Prints {@code RESULT <median ns per write> <median ns per read>}.
 * Arguments: sinkPort sourcePort warmupMillis batches perBatch.
 */
public final class IoLoop {
    private IoLoop() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int sinkPort = Integer.parseInt(args[0]);
        int sourcePort = Integer.parseInt(args[1]);
        long warmupMillis = Long.parseLong(args[2]);
        int batches = Integer.parseInt(args[3]);
        int perBatch = Integer.parseInt(args[4]);
        byte[] buf = new byte[64];

        double write;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(lo, sinkPort), 5_000);
            OutputStream out = s.getOutputStream();
            long warmEnd = System.nanoTime() + warmupMillis * 1_000_000L;
            for (int i = 0; i < 50_000_000 && System.nanoTime() < warmEnd; i++) {
                out.write(buf);
            }
            double[] ns = new double[batches];
            for (int b = 0; b < batches; b++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < perBatch; i++) {
                    out.write(buf);
                }
                ns[b] = (System.nanoTime() - t0) / (double) perBatch;
            }
            write = Stats.median(ns);
        }
        double read;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(lo, sourcePort), 5_000);
            InputStream in = s.getInputStream();
            long warmEnd = System.nanoTime() + warmupMillis * 1_000_000L / 2;
            for (int i = 0; i < 50_000_000 && System.nanoTime() < warmEnd; i++) {
                if (in.read(buf) < 0) {
                    throw new IllegalStateException("source closed");
                }
            }
            double[] ns = new double[batches];
            for (int b = 0; b < batches; b++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < perBatch; i++) {
                    if (in.read(buf) < 0) {
                        throw new IllegalStateException("source closed");
                    }
                }
                ns[b] = (System.nanoTime() - t0) / (double) perBatch;
            }
            read = Stats.median(ns);
        }
        System.out.println("RESULT " + write + " " + read);
    }
}
