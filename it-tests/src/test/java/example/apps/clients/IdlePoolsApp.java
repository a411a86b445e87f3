package example.apps.clients;

import example.apps.GateProbe;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Eleven clients fill their pools with 50 requests each, all at once (550 at a cap of 512, set by
 * the test: the pools end up holding the cap in idle connections), a long poll is in progress (a
 * plain socket blocked in {@code read}), and then:
 * <ol>
 *   <li>{@code probe}: one new connection at the cap, with every slot held by an idle pooled socket;</li>
 *   <li>{@code wave2}: each client sends 50 requests again, all clients at once, through pools that
 *       hold reclaimed (closed) connections: what each client makes of them;</li>
 *   <li>{@code longpoll}: the long poll's reply (it must not have been reclaimed).</li>
 * </ol>
 * Args: endpoint longPollPort longPollMillis kind... (one client per kind argument).
 */
public final class IdlePoolsApp {

    public static final int PER_CLIENT = 50;

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        int longPollPort = Integer.parseInt(args[1]);
        long longPollMillis = Long.parseLong(args[2]);
        List<String> kinds = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            kinds.add(args[i]);
        }
        GateProbe.await(Long.getLong("it.mbean.wait.millis", 10_000));

        List<Clients.Client> clients = new ArrayList<>();
        for (String kind : kinds) {
            Clients.Client c = Clients.create(kind, endpoint);
            c.call(-1); // warm-up: class loading and set-up, one pooled connection
            clients.add(c);
        }
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());

        // The long poll's connection is opened before the pools fill the cap. Its request is written
        // after the fill, so that it is blocked in read through the probe and the second wave, where
        // idle pooled connections are reclaimed around it. (Through the fill it is connected and
        // idle: a plain socket, never pooled, which no reclaim may touch either.)
        Socket longPollSocket = new Socket();
        longPollSocket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), longPollPort));

        // Fill: 50 concurrent requests per client, all clients at once (550 requests: the last ones
        // wait at the cap and go through as the first ones' connections go back to their pools).
        for (ClientStormApp.Outcome o : allAtOnce(clients, kinds, "fill-", 0)) {
            if (o != null) {
                o.print();
            }
        }

        String[] longPoll = new String[3];
        Thread poller = new Thread(() -> {
            long t0 = System.nanoTime();
            try (Socket s = longPollSocket) {
                OutputStream out = s.getOutputStream();
                out.write("LONGPOLL 1\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                longPoll[0] = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
            } catch (Throwable t) {
                longPoll[1] = ClientStormApp.chain(t);
            }
            longPoll[2] = Long.toString((System.nanoTime() - t0) / 1_000_000);
        }, "long-poll");
        poller.start();
        Thread.sleep(400); // every pooled connection idle for longer than reclaim.idle.millis
        // The probe needs the cap full of idle pooled sockets. A client may have reused some of its
        // own connections within a burst (fewer than 550 opened): then the cap is lowered, through the
        // MBean, to what the pools hold.
        long open = GateProbe.get("OpenSockets");
        if (open < GateProbe.get("MaxSockets")) {
            java.lang.management.ManagementFactory.getPlatformMBeanServer().setAttribute(
                    new javax.management.ObjectName(GateProbe.NAME), new javax.management.Attribute("MaxSockets", (int) open));
        }
        long reclaimedBefore = GateProbe.get("ReclaimedSocketsTotal");
        long openBefore = GateProbe.get("OpenSockets");
        long t0 = System.nanoTime();
        URI u = URI.create(endpoint);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()));
            long connectMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("probe connectMs=" + connectMs + " openBefore=" + openBefore + " capForProbe="
                    + GateProbe.get("MaxSockets") + " reclaimedBefore="
                    + reclaimedBefore + " reclaimedAfter=" + GateProbe.get("ReclaimedSocketsTotal")
                    + " waitsTotal=" + GateProbe.get("WaitsTotal") + " longPollInFlight=" + poller.isAlive());
        }

        // Second wave through pools that hold reclaimed connections, all clients at once again.
        for (ClientStormApp.Outcome o : allAtOnce(clients, kinds, "wave2-", 100_000)) {
            if (o != null) {
                o.print();
            }
        }
        poller.join(longPollMillis + 30_000);
        System.out.println("longpoll reply=" + String.valueOf(longPoll[0]).replace(' ', '_') + " error=" + longPoll[1]
                + " elapsedMs=" + longPoll[2]);
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        System.out.flush();
        System.exit(0);
    }

    /** One burst of {@link #PER_CLIENT} requests per client, the clients side by side; null for a burst that threw. */
    static ClientStormApp.Outcome[] allAtOnce(List<Clients.Client> clients, List<String> kinds, String label, int firstId)
            throws InterruptedException {
        ClientStormApp.Outcome[] outcomes = new ClientStormApp.Outcome[clients.size()];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            int client = i;
            Thread t = new Thread(() -> {
                try {
                    outcomes[client] = ClientStormApp.burst(clients.get(client), label + client + "-" + kinds.get(client),
                            firstId + client * 1000, PER_CLIENT, 60);
                } catch (Exception e) {
                    System.out.println("failure kind=" + label + client + ":" + ClientStormApp.chain(e) + " count=1");
                }
            }, label + i);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return outcomes;
    }
}
