package io.emfileguard.bench;

import static io.emfileguard.bench.Section.fmt;
import static io.emfileguard.bench.Section.loadAverage;
import static io.emfileguard.bench.Section.log;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs every benchmark and writes the results table (benchmarks/target/results.md, and on a full run
 * docs/performance.md between the {@code benchmarks:begin/end} markers): parses the options, starts
 * the loopback server, runs each chosen {@link Section} (one class per section) and hands the table to
 * {@link ResultsTable}. Started by benchmarks/run.sh after the build. Options:
 * {@code --only startup,gate,connect,io,wake,storm,scale,fanout,soak}, {@code --quick} (fewer pairs: a smoke test,
 * never written to the doc), {@code --no-doc}, {@code --doc-sections} (with {@code --only}: replace
 * just those sections' rows and notes in the doc), {@code --java17 PATH}, {@code --java25 PATH}.
 */
public final class Runner {
    static final List<String> SECTIONS = Arrays.asList("startup", "gate", "connect", "io", "wake", "storm", "scale",
            "fanout", "soak");
    /**
     * What a run without {@code --only} runs: every section but the soak, which alone takes 10 minutes
     * (`--only soak`); a full run keeps the soak's rows and notes already in the table.
     */
    static final List<String> DEFAULT_SECTIONS = SECTIONS.subList(0, SECTIONS.indexOf("soak"));

    // The options every section runs with (Section.run reads them), and the loopback server's ports.
    final Path root;
    final String java17;
    final String java25;
    final String classes;
    final boolean quick;
    final ResultsTable table;
    Map<String, Integer> ports;

    private Runner(Path root, String java17, String java25, boolean quick) {
        this.root = root;
        this.java17 = java17;
        this.java25 = java25;
        this.classes = root.resolve("benchmarks/target/classes").toString();
        this.quick = quick;
        this.table = new ResultsTable(root);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".").toAbsolutePath().normalize();
        String java17 = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String java25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";
        Set<String> only = new LinkedHashSet<>(DEFAULT_SECTIONS);
        boolean partial = false;
        boolean quick = false;
        boolean doc = true;
        boolean docSections = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root": root = Path.of(args[++i]).toAbsolutePath().normalize(); break;
                case "--java17": java17 = args[++i]; break;
                case "--java25": java25 = args[++i]; break;
                case "--quick": quick = true; break;
                case "--no-doc": doc = false; break;
                case "--doc-sections": docSections = true; break;
                case "--only":
                    only = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                    partial = true;
                    if (!SECTIONS.containsAll(only)) {
                        throw new IllegalArgumentException("sections: " + SECTIONS);
                    }
                    break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (!new File(java25).canExecute()) {
            System.err.println("JDK 25 not found at " + java25 + " (--java25 PATH): its rows are skipped");
            java25 = null;
        }
        Runner r = new Runner(root, java17, java25, quick);
        long t0 = System.nanoTime();
        r.run(only);
        double minutes = (System.nanoTime() - t0) / 60e9;
        String table = r.table.render(minutes, partial, quick, r.java17, r.java25);
        Path out = root.resolve("benchmarks/target/results.md");
        Files.writeString(out, table, StandardCharsets.UTF_8);
        System.out.println(table);
        System.err.println("results: " + out);
        if (doc && docSections && partial && !quick) {
            r.table.writeDocSections(only);
        } else if (doc && !partial && !quick) {
            r.table.writeDoc(table, only);
        } else {
            System.err.println(ResultsTable.DOC
                    + " not changed (only full runs without --quick write it; --only with --doc-sections)");
        }
        if (!r.table.failed.isEmpty()) {
            System.err.println("FAILED: " + r.table.failed);
            System.exit(1);
        }
    }

    // ------------------------------------------------------------------ orchestration

    private void run(Set<String> sections) throws Exception {
        String serverJava = java25 != null ? java25 : java17;
        Process server = new ProcessBuilder(serverJava, "-cp", classes, "io.emfileguard.bench.LoopbackServer", "40")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            if (line == null || !line.startsWith("PORTS ")) {
                throw new IllegalStateException("server did not start: " + line);
            }
            ports = new LinkedHashMap<>();
            for (String kv : line.substring(6).split(" ")) {
                String[] p = kv.split("=");
                if (p[1].matches("\\d+")) {
                    ports.put(p[0], Integer.parseInt(p[1]));
                }
            }
            for (String s : sections) {
                table.loads.put(s, loadAverage());
                long t0 = System.nanoTime();
                log("=== " + s + " (load average " + table.loads.get(s) + ")");
                section(s).run(this);
                log("=== " + s + " done in " + fmt((System.nanoTime() - t0) / 1e9, 0) + " s");
            }
            table.loads.put("end", loadAverage());
        } finally {
            OutputStream in = server.getOutputStream();
            in.close(); // the server exits when its stdin closes
            if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** The section named {@code name}, one of {@link #SECTIONS}. */
    private Section section(String name) {
        switch (name) {
            case "startup": return new StartupSection();
            case "gate": return new GateSection();
            case "connect": return new ConnectSection();
            case "io": return new IoSection();
            case "wake": return new WakeSection();
            case "storm": return new StormSection();
            case "scale": return new ScaleSection();
            case "fanout": return new FanOutSection();
            case "soak": return new SoakSection();
            default: throw new IllegalArgumentException(name);
        }
    }
}
