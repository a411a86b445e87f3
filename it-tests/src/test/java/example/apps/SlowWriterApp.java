package example.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A request whose owner takes a while between connect and write (building the request body, a
 * scheduling delay on a busy machine), while a second thread needs a socket at the cap. Nothing is
 * idle or pooled here: both connections are requests in flight.
 *
 * <p>Args: server port, pause between connect and write in ms. Prints {@code first ...} and
 * {@code second ...} lines.
 */
public final class SlowWriterApp {

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        long pause = Long.parseLong(args[1]);
        if (!GateProbe.await(10_000)) {
            System.out.println("gate absent");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        String[] second = {"none"};
        Thread other = new Thread(() -> {
            try {
                Thread.sleep(50);
                long s0 = System.nanoTime();
                String reply = PlainApp.request(server, "FAST second");
                second[0] = "reply=" + reply.replace(' ', '_') + " connectedAfterMs=" + (System.nanoTime() - s0) / 1_000_000;
            } catch (Exception e) {
                second[0] = "error=" + e.toString().replace(' ', '_');
            }
        }, "second-request");
        String first;
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            other.start();
            Thread.sleep(pause); // preparing the request
            s.getOutputStream().write("REQ first\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            first = "reply=" + String.valueOf(reply).replace(' ', '_');
        } catch (Exception e) {
            first = "error=" + e.toString().replace(' ', '_');
        }
        first += " doneAfterMs=" + (System.nanoTime() - t0) / 1_000_000;
        other.join(30_000);
        System.out.println("first " + first);
        System.out.println("second " + second[0]);
        System.out.println("gate " + GateProbe.describe() + " ReclaimedSocketsTotal=" + GateProbe.get("ReclaimedSocketsTotal"));
    }
}
