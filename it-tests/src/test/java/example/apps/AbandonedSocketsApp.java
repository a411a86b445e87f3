package example.apps;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fills the cap with sockets and drops them without {@code close()} (the classic leak: a client
 * built per request and never closed), then {@code count} threads connect: nothing will ever be
 * released and nothing is idle in a pool; only the garbage collector can give those descriptors back,
 * and this program allocates nothing that would trigger one. Knows nothing of the agent but its MBean.
 *
 * <p>Args: port count. Prints {@code abandoned dropped=.. connected=.. failed=.. maxWaitMs=..} and
 * {@code gate after ...}.
 */
public final class AbandonedSocketsApp {

    public static void main(String[] args) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        int count = Integer.parseInt(args[1]);
        GateProbe.await(10_000);
        List<Socket> held = openSockets(target, count);
        AtomicLong maxWait = new AtomicLong();
        AtomicLong connected = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> {
                long t0 = System.nanoTime();
                try (Socket s = new Socket()) { // waits at the cap: the held sockets fill it
                    s.connect(target, 5_000);
                    maxWait.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    connected.incrementAndGet();
                } catch (Exception e) {
                    failed.incrementAndGet();
                    e.printStackTrace();
                }
            });
            t.start();
            threads.add(t);
        }
        // Dropped only once every thread waits: a collection before that (start-up allocates) would
        // take them before anyone needs their room.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (GateProbe.get("WaitingThreads") < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        held.clear();
        held = null;
        for (Thread t : threads) {
            t.join();
        }
        System.out.println("abandoned dropped=" + count + " connected=" + connected + " failed=" + failed
                + " maxWaitMs=" + maxWait);
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        System.out.flush();
    }

    /** Opens {@code count} connected sockets (the caller drops them without closing any). */
    private static List<Socket> openSockets(InetSocketAddress target, int count) throws Exception {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket s = new Socket();
            s.connect(target, 5_000);
            sockets.add(s);
        }
        return sockets;
    }
}
