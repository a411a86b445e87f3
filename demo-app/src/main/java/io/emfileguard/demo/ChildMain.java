package io.emfileguard.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link FanOutHandler} once in this JVM, as the Lambda runtime would, and reports on standard
 * output in lines a launcher can read:
 * <pre>
 * READY
 * PROGRESS requests=3300 done=1200 succeeded=900 emfile=300 other=0 open=896 waiting=2100
 * RESULT records=300 requests=3300 succeeded=... gate.PeakOpenSockets=896 ...
 * ERROR 2290 urlconnection: SocketException: Too many open files
 * RESULT-JSON {...the handler's answer...}
 * </pre>
 * {@code open} and {@code waiting} (and the {@code gate.*} values) are read from the
 * {@code io.emfileguard:type=SocketGate} MBean when one is registered, else they are {@code -1}.
 *
 * <p>{@code java -cp demo-app.jar io.emfileguard.demo.ChildMain --records 300 [--progress-ms 250]
 * [--exit-on-stdin-eof]}; endpoints and clients come from {@link FanOutConfig}.
 */
public final class ChildMain {

    private ChildMain() {
    }

    public static void main(String[] args) throws Exception {
        int records = 300;
        long progressMillis = 250;
        boolean exitOnEof = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records":
                    records = Integer.parseInt(args[++i]);
                    break;
                case "--progress-ms":
                    progressMillis = Long.parseLong(args[++i]);
                    break;
                case "--exit-on-stdin-eof":
                    exitOnEof = true;
                    break;
                default:
                    System.err.println("usage: ChildMain [--records N] [--progress-ms N] [--exit-on-stdin-eof]");
                    System.exit(2);
            }
        }
        if (exitOnEof) {
            Thread watcher = new Thread(ChildMain::exitOnStdinEof, "stdin-eof-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }

        FanOutHandler handler = new FanOutHandler();
        System.out.println("READY");
        System.out.flush();

        long period = progressMillis;
        Thread progress = new Thread(() -> reportProgress(handler, period), "progress");
        progress.setDaemon(true);
        progress.start();

        Map<String, Object> event = new LinkedHashMap<>();
        event.put("records", records);
        Map<String, Object> answer = handler.handleRequest(event, null);
        progress.interrupt();

        StringBuilder line = new StringBuilder("RESULT");
        for (Map.Entry<String, Object> e : answer.entrySet()) {
            Object value = e.getValue();
            if (value instanceof Number || value instanceof String) {
                line.append(' ').append(e.getKey()).append('=').append(String.valueOf(value).replace(' ', '_'));
            }
        }
        Object gate = answer.get("socketGate");
        if (gate instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) gate).entrySet()) {
                line.append(" gate.").append(e.getKey()).append('=').append(e.getValue());
            }
        }
        synchronized (System.out) {
            System.out.println(line);
            Object errors = answer.get("errors");
            if (errors instanceof List) {
                for (Object o : (List<?>) errors) {
                    Map<?, ?> error = (Map<?, ?>) o;
                    System.out.println("ERROR " + error.get("count") + " " + error.get("error"));
                }
            }
            System.out.println("RESULT-JSON " + new ObjectMapper().writeValueAsString(answer));
            System.out.flush();
        }
        // Client threads (HttpClient selectors, pools) would keep the JVM up; the batch is over.
        Runtime.getRuntime().halt(0);
    }

    private static void reportProgress(FanOutHandler handler, long periodMillis) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(periodMillis);
                FanOutResult r = handler.current();
                if (r == null) {
                    continue;
                }
                Map<String, Object> gate = SocketGateStats.read();
                String line = "PROGRESS requests=" + r.requests() + " done=" + r.done()
                        + " succeeded=" + r.succeeded() + " emfile=" + r.tooManyOpenFiles()
                        + " other=" + r.otherFailures()
                        + " open=" + gate.getOrDefault("OpenSockets", -1)
                        + " waiting=" + gate.getOrDefault("WaitingThreads", -1);
                synchronized (System.out) {
                    System.out.println(line);
                    System.out.flush();
                }
            }
        } catch (InterruptedException e) {
            // the batch is over
        }
    }

    private static void exitOnStdinEof() {
        try {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0) {
                // the launcher never writes; only the end of the stream matters
            }
        } catch (Exception e) {
            // treat a broken stdin like its end
        }
        Runtime.getRuntime().halt(3);
    }
}
