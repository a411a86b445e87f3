package io.emfileguard.demo.stub;

import java.io.IOException;
import java.io.InputStream;

/**
 * Runs the stub services in their own process:
 * {@code java -cp demo-app.jar io.emfileguard.demo.stub.StubMain [--port 0] [--latency-ms 1000] [--jitter-ms 200]
 * [--latency-profile uniform|spread|one-slow] [--services 11]} (see {@link LatencyProfile}).
 *
 * <p>Prints {@code STUB LISTENING port=<port>} once it accepts connections. With
 * {@code --exit-on-stdin-eof} it exits when its standard input closes, so a launcher that dies
 * (even by SIGKILL) takes its stub with it.
 */
public final class StubMain {

    private StubMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = 0;
        long latency = 1000;
        long jitter = -1;
        boolean exitOnEof = false;
        String profile = LatencyProfile.UNIFORM;
        int services = 11;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port":
                    port = Integer.parseInt(args[++i]);
                    break;
                case "--latency-ms":
                    latency = Long.parseLong(args[++i]);
                    break;
                case "--jitter-ms":
                    jitter = Long.parseLong(args[++i]);
                    break;
                case "--latency-profile":
                    profile = LatencyProfile.check(args[++i]);
                    break;
                case "--services":
                    services = Integer.parseInt(args[++i]);
                    break;
                case "--exit-on-stdin-eof":
                    exitOnEof = true;
                    break;
                default:
                    System.err.println("usage: StubMain [--port N] [--latency-ms N] [--jitter-ms N]"
                            + " [--latency-profile uniform|spread|one-slow] [--services N] [--exit-on-stdin-eof]");
                    System.exit(2);
            }
        }
        if (jitter < 0) {
            jitter = latency / 5;
        }
        StubServer stub = StubServer.start(port, new LatencyProfile(profile, services, latency, jitter));
        System.out.println("STUB LISTENING port=" + stub.port() + " latency_ms=" + latency + " jitter_ms=" + jitter
                + " profile=" + profile);
        System.out.flush();
        if (exitOnEof) {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0) {
                // the launcher never writes; only the end of the stream matters
            }
            stub.close();
            System.exit(0);
        }
        Thread.currentThread().join();
    }
}
