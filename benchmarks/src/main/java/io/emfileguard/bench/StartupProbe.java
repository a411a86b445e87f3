package io.emfileguard.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The start-up program: optionally sleeps, then makes one loopback connect and exits. Kept minimal
 * on purpose (one class, no lambdas) so that it measures the JVM and the agent, not itself.
 * Arguments: port [sleepMillis].
 */
public final class StartupProbe {
    private StartupProbe() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        long sleepMillis = args.length > 1 ? Long.parseLong(args[1]) : 0;
        if (sleepMillis > 0) {
            Thread.sleep(sleepMillis);
        }
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        } finally {
            s.close();
        }
    }
}
