package io.emfileguard.demo.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The picture of a run: a small synthetic pair of runs gives a real, non-empty PNG. */
class RunChartTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void drawsAPairOfRunsAsAPng(@TempDir Path dir) throws Exception {
        RunResult plain = run(false, "requests=330 succeeded=200 failed=130 failedTooManyOpenFiles=130");
        RunResult guarded = run(true, "requests=330 succeeded=330 failed=0 gate.MaxSockets=100 gate.PeakOpenSockets=100");
        for (int i = 0; i <= 40; i++) {
            long t = i * 250L;
            int sockets = Math.min(120, i * 10);
            plain.timeline.fd(t, sockets + 12, sockets);
            plain.timeline.progress(t, i * 8, Math.max(0, (i - 12) * 5), -1);
            guarded.timeline.fd(t, Math.min(100, sockets) + 12, Math.min(100, sockets));
            guarded.timeline.progress(t, i * 8, 0, Math.max(0, 60 - Math.abs(20 - i) * 3));
        }

        Path file = RunChart.write(dir.resolve("sub/run.png"), plain, guarded, 128, "33 records x 10 services");

        assertTrue(Files.isRegularFile(file), file + " was not written");
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(bytes.length > 10_000, "a chart, not an empty image: " + bytes.length + " bytes");
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), "not a PNG");
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, "the PNG does not decode");
        assertEquals(RunChart.WIDTH, image.getWidth());
        assertEquals(RunChart.HEIGHT, image.getHeight());
    }

    @Test
    void chartGoesNextToTheDemoJarOrWhereItIsAsked(@TempDir Path dir) throws Exception {
        Path jar = Files.createFile(dir.resolve("demo-app.jar"));
        assertEquals(dir.resolve("demo-run.png").toAbsolutePath(), DemoLauncher.chartPath(null, jar.toString(), -1));
        assertEquals(dir.resolve("demo-run-400.png").toAbsolutePath(), DemoLauncher.chartPath(null, jar.toString(), 400));
        assertEquals(Path.of("x/run.png"), DemoLauncher.chartPath("x/run.png", jar.toString(), -1));
    }

    @Test
    void outcomeSaysHowManyFailed() {
        assertEquals("130 of 330 requests failed (130 Too many open files)",
                RunChart.outcome(run(false, "requests=330 succeeded=200 failed=130 failedTooManyOpenFiles=130")));
        assertEquals("3,300 of 3,300 requests succeeded",
                RunChart.outcome(run(true, "requests=3300 succeeded=3300 failed=0")));
    }

    private static RunResult run(boolean withAgent, String values) {
        RunResult r = new RunResult(withAgent ? "with agent" : "without agent", withAgent, 33, 330);
        r.values.putAll(ChildRun.parsePairs(values));
        return r;
    }
}
