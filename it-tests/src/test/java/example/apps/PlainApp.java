package example.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An ordinary application: a few sequential requests, then three connections held at once. Its own
 * output (stdout) is the same on every run. What the test wants to know about the agent (the MBean
 * while the three connections are held) goes to {@code -Dit.probe.file}, never to stdout.
 *
 * <p>Arg: the port of a loopback latency server.
 */
public final class PlainApp {

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        if (mbeanWait > 0) {
            GateProbe.await(mbeanWait);
        }
        System.out.println("plain app: start");
        for (int i = 0; i < 3; i++) {
            System.out.println("plain app: request " + i + " -> " + request(server, "REQ " + i));
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
        System.out.println("plain app: held " + held.size() + " connections at once, then closed them");
        System.out.println("plain app: done");
    }

    static String request(InetSocketAddress server, String line) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }
}
