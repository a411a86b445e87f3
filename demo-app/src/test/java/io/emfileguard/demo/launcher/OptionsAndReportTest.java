package io.emfileguard.demo.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsAndReportTest {

    @Test
    void defaultsAreTheFieldScenario() {
        Options o = Options.parse(new String[0]);
        assertEquals(List.of(300), o.batches);
        assertEquals(11, o.services);
        assertEquals(1024, o.fdLimit);
        assertEquals(Options.DEFAULT_LATENCY_MS / 5, o.jitterMillis);
        assertEquals("httpclient,urlconnection,dynamodb,lambda,dynamodb-async", o.clients);
    }

    @Test
    void parsesEveryOptionInBothSpellings() {
        Options o = Options.parse(new String[] {"--sweep", "300,400, 500", "--services=5", "--clients", "blocking",
            "--latency-ms", "500", "--fd-limit=2048", "--max-sockets", "700", "--jvm-opt", "-Xmx1g", "--plain"});
        assertEquals(List.of(300, 400, 500), o.batches);
        assertEquals("300, 400 and 500 records", o.batchDescription());
        assertEquals(5, o.services);
        assertEquals("blocking", o.clients);
        assertEquals(500, o.latencyMillis);
        assertEquals(100, o.jitterMillis);
        assertEquals(2048, o.fdLimit);
        assertEquals(700, o.maxSockets);
        assertEquals(List.of("-Xmx1g"), o.jvmOptions);
        assertTrue(o.plain);
        assertEquals(List.of(42), Options.parse(new String[] {"--records", "42"}).batches);
    }

    @Test
    void rejectsMistakesWithAMessage() {
        assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--records", "0"}));
        assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--records"}));
        assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--clients", "okhttp"}));
        assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--records", "3", "--sweep", "4"}));
        assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--frobnicate"}));
    }

    @Test
    void summaryLineAddsUpTheSweepAndCountsAMissingResultAsFailure() {
        RunResult plain = result(false, 300, "requests=3300 succeeded=1000 failed=2300 failedTooManyOpenFiles=2300 unfinished=0");
        RunResult guarded = result(true, 300, "requests=3300 succeeded=3300 failed=0 unfinished=0 "
                + "gate.PeakOpenSockets=896 gate.MaxSockets=896 gate.WaitsTotal=2404 wallMillis=9100");
        assertEquals("summary: without_agent_failed=2300 with_agent_failed=0 peak_open_sockets=896 cap=896"
                + " agent_batch_ms=9100",
                Report.summary(List.<RunResult[]>of(new RunResult[] {plain, guarded})));
        assertTrue(guarded.clean());

        RunResult crashed = new RunResult("with agent", true, 400, 4400);
        crashed.exitCode = 1;
        assertFalse(crashed.clean());
        crashed.processMillis = 12_000;
        assertEquals("summary: without_agent_failed=4600 with_agent_failed=4400 peak_open_sockets=896 cap=896"
                + " agent_batch_ms=12000",
                Report.summary(List.<RunResult[]>of(new RunResult[] {plain, guarded}, new RunResult[] {plain, crashed})));
    }

    @Test
    void handTunedRunAddsAColumnAndItsFieldsToTheSummary() {
        RunResult plain = new RunResult("without agent", false, 300, 3300);
        plain.skipped = true;
        RunResult guarded = result(true, 300, "requests=3300 succeeded=3300 failed=0 unfinished=0 wallMillis=9100 "
                + "gate.PeakOpenSockets=896 gate.MaxSockets=896");
        RunResult tuned = new RunResult("hand-tuned", false, 300, 3300);
        for (String pair : "requests=3300 succeeded=3290 failed=10 unfinished=0 wallMillis=15500".split(" ")) {
            tuned.values.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        assertEquals("summary: without_agent_failed=-1 with_agent_failed=0 peak_open_sockets=896 cap=896"
                + " agent_batch_ms=9100 tuned_failed=10 tuned_batch_ms=15500",
                Report.summary(List.<RunResult[]>of(new RunResult[] {plain, guarded, tuned})));
        List<String> lines = Report.table(plain, guarded, tuned);
        String table = String.join("\n", lines);
        assertEquals(List.of("without agent", "with agent", "hand-tuned"), List.of(lines.get(0).trim().split(" {2,}")), table);
        assertEquals(List.of("requests", "skipped", "3,300", "3,300"), cells(lines, "requests"), table);
        assertEquals(List.of("wall time of the batch", "-", "9.1 s", "15.5 s"), cells(lines, "wall time"), table);
        Options options = Options.parse(new String[] {"--hand-tuned", "--skip-plain", "--latency-profile", "one-slow"});
        assertEquals("one-slow", options.latencyProfile);
        assertTrue(options.handTuned && options.skipPlain);
        assertEquals(896, DemoLauncher.handTunedCap(options, new RunResult("with agent", true, 3, 33)));
        assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--latency-profile", "skewed"}));
    }

    @Test
    void pairTableHasOneRowPerFactAndDashesWhereThereIsNoAgent() {
        RunResult plain = result(false, 300, "requests=3300 succeeded=1000 failed=2300 failedTooManyOpenFiles=2290 "
                + "failedOther=10 unfinished=0 wallMillis=4200 issueMillis=610");
        plain.peakDescriptors = 1024;
        plain.peakSockets = 1010;
        RunResult guarded = result(true, 300, "requests=3300 succeeded=3300 failed=0 failedTooManyOpenFiles=0 "
                + "failedOther=0 unfinished=0 wallMillis=9100 issueMillis=680 gate.PeakOpenSockets=896 gate.MaxSockets=896 "
                + "gate.WaitsTotal=2000 gate.WaitTimeMillisTotal=5000000 gate.TimeoutsTotal=0 gate.ReclaimedSocketsTotal=3");
        List<String> lines = Report.pair(plain, guarded);
        String table = String.join("\n", lines);
        assertTrue(lines.get(0).trim().startsWith("without agent"), table);
        assertEquals(List.of("\"Too many open files\"", "2,290", "0"), cells(lines, "\"Too many"), table);
        assertEquals(List.of("peak sockets (/proc)", "1,010", "-"), cells(lines, "peak sockets"), table);
        assertEquals(List.of("peak descriptors (/proc)", "1,024", "-"), cells(lines, "peak descriptors"), table);
        assertEquals(List.of("agent: cap / peak open sockets", "-", "896 / 896"), cells(lines, "agent: cap"), table);
        assertEquals(List.of("average wait", "-", "2.5 s"), cells(lines, "average wait"), table);
        assertEquals(List.of("wall time of the batch", "4.2 s", "9.1 s"), cells(lines, "wall time"), table);
        assertEquals(List.of("of which issuing the calls", "0.6 s", "0.7 s"), cells(lines, "of which issuing"), table);
        assertEquals(lines.get(0).length(), lines.get(1).length(), "columns line up");
    }

    private static List<String> cells(List<String> lines, String start) {
        String line = lines.stream().filter(l -> l.trim().startsWith(start)).findFirst().orElseThrow();
        return List.of(line.trim().split(" {2,}"));
    }

    @Test
    void progressAndResultLinesParseAsPairs() {
        Map<String, String> kv = ChildRun.parsePairs(" requests=3300 done=12  gate.OpenSockets=896 junk ");
        assertEquals(Map.of("requests", "3300", "done", "12", "gate.OpenSockets", "896"), kv);
    }

    private static RunResult result(boolean agent, int records, String pairs) {
        RunResult r = new RunResult(agent ? "with agent" : "without agent", agent, records, records * 11);
        r.values.putAll(ChildRun.parsePairs(pairs));
        return r;
    }
}
