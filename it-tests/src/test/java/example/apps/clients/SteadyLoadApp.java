package example.apps.clients;

import example.apps.GateProbe;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Steady load over pooled clients, as a service runs it: for each client kind, {@code threads}
 * threads call it in a loop for {@code seconds}, each call reusing a pooled connection when its pool
 * has one. Many more threads than the cap: some always wait at the gate while others return
 * connections to the pools. Knows nothing of the agent but its MBean's name.
 *
 * <p>Args: endpoint seconds threadsPerKind kind... Prints {@code storm kind=.. requests=.. ok=..
 * failed=..} per kind (the storm line's format), {@code failure} lines, and {@code gate before|after}.
 */
public final class SteadyLoadApp {

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        long seconds = Long.parseLong(args[1]);
        int threadsPerKind = Integer.parseInt(args[2]);
        GateProbe.await(Long.getLong("it.mbean.wait.millis", 10_000));
        List<Clients.Client> clients = new ArrayList<>();
        List<ClientStormApp.Outcome> outcomes = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            Clients.Client c = Clients.create(args[i], endpoint);
            c.call(-1); // warm-up: class loading and the client's own set-up
            clients.add(c);
            outcomes.add(new ClientStormApp.Outcome(args[i], 0));
        }
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicInteger ids = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int k = 0; k < clients.size(); k++) {
            Clients.Client client = clients.get(k);
            ClientStormApp.Outcome outcome = outcomes.get(k);
            for (int t = 0; t < threadsPerKind; t++) {
                Thread th = new Thread(() -> {
                    while (System.nanoTime() < deadline) {
                        int id = ids.getAndIncrement();
                        try {
                            client.call(id);
                            outcome.ok.incrementAndGet();
                        } catch (Throwable e) {
                            outcome.failed(e);
                        }
                    }
                }, outcome.label + "-" + t);
                th.start();
                threads.add(th);
            }
        }
        boolean finished = true;
        for (Thread th : threads) {
            th.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000 + 120_000));
            finished &= !th.isAlive();
        }
        long elapsed = (System.nanoTime() - t0) / 1_000_000;
        for (ClientStormApp.Outcome o : outcomes) {
            o.elapsedMillis = elapsed;
            o.finished = finished;
            o.print();
        }
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        for (Clients.Client c : clients) {
            c.close();
        }
        System.out.flush();
        System.exit(finished ? 0 : 3);
    }
}
