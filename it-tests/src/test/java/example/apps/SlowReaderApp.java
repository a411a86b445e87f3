package example.apps;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * HttpURLConnection keep-alive at a cap of 2: one reply is read into the client's buffer and its
 * application pauses before consuming it (the kernel shows nothing unread); another connection sits
 * idle in the keep-alive cache; a third request needs a socket. The idle reclaimer must take the
 * cached one, never the one whose reply is still being consumed, although that one is older.
 *
 * <p>Args: the ports of three HTTP servers on loopback (three keep-alive keys). Prints
 * {@code slow ...}, {@code third ...} and {@code gate ...} lines.
 */
public final class SlowReaderApp {

    public static void main(String[] args) throws Exception {
        if (!GateProbe.await(10_000)) {
            System.out.println("gate absent");
            System.exit(2);
        }
        HttpURLConnection slow = open(args[0]);
        int slowStatus = slow.getResponseCode(); // headers and the short body are in the client's buffer now
        Thread.sleep(50);
        try (InputStream in = open(args[1]).getInputStream()) {
            in.readAllBytes(); // consumed: back in the keep-alive cache, idle
        }
        String[] third = {"none"};
        Thread other = new Thread(() -> {
            long t0 = System.nanoTime();
            try (InputStream in = open(args[2]).getInputStream()) {
                third[0] = "reply=" + new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                        + " afterMs=" + (System.nanoTime() - t0) / 1_000_000;
            } catch (Exception e) {
                third[0] = "error=" + e.toString().replace(' ', '_');
            }
        }, "third-request");
        other.start();
        other.join(20_000);
        Thread.sleep(500); // the slow reader is still busy elsewhere
        String slowLine;
        try (InputStream in = slow.getInputStream()) {
            slowLine = "status=" + slowStatus + " reply=" + new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (Exception e) {
            slowLine = "status=" + slowStatus + " error=" + e.toString().replace(' ', '_');
        }
        System.out.println("slow " + slowLine);
        System.out.println("third " + third[0]);
        System.out.println("gate " + GateProbe.describe() + " ReclaimedSocketsTotal=" + GateProbe.get("ReclaimedSocketsTotal"));
    }

    private static HttpURLConnection open(String port) throws Exception {
        return (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
    }
}
