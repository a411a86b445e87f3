package io.emfileguard.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A child JVM driven line by line over stdin/stdout, every answer awaited with a timeout. */
final class Interactive implements AutoCloseable {
    private static final String EOF = "\u0000EOF";
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> command;

    Interactive(List<String> command) throws IOException {
        this.command = command;
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().keySet().removeIf(k -> k.startsWith("EMFILEGUARD_"));
        pb.directory(new File("."));
        process = pb.start();
        stdin = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // process ended
            }
            lines.add(EOF);
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** The next line starting with {@code prefix}, split after it. */
    String[] await(String prefix, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        for (;;) {
            long left = deadline - System.nanoTime();
            String l = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (l == null || l.equals(EOF)) {
                close();
                throw new IllegalStateException((l == null ? "no answer" : "child ended") + " waiting for " + prefix
                        + ": " + String.join(" ", command));
            }
            if (l.startsWith(prefix)) {
                return l.substring(prefix.length()).trim().split(" ");
            }
        }
    }

    String[] call(String cmd, String prefix, long timeoutSeconds) throws IOException, InterruptedException {
        stdin.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        return await(prefix, timeoutSeconds);
    }

    @Override
    public void close() {
        try {
            stdin.write("EXIT\n".getBytes(StandardCharsets.UTF_8));
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
