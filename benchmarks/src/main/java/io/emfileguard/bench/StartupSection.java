package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * Section "startup": start-up cost (issue 14). Each run is a fresh JVM running
 * {@code StartupProbe <port> <sleepMillis>} under {@code /usr/bin/time}; each round runs every
 * variant once, in an order that rotates from round to round (plain / empty / guard, empty / guard /
 * plain, guard / plain / empty, ...), after one unmeasured warm-up round.
 *
 * <p>Rows: JDK 17 and 25, each with default flags and with {@code -XX:TieredStopAtLevel=1}, the probe
 * connecting at once (the targets: emfile-guard minus the empty agent at most +50 ms wall and
 * +80 ms CPU, emfile-guard minus a plain JVM at most +8 MiB peak RSS); JDK 17 and 25 with a 1 s sleep
 * before the connect (work deferred past {@code main} shows there; diagnostic); and a breakdown on
 * JDK 17 (enabled=false, jmx=false).
 */
final class StartupSection extends Section {
    static final double TARGET_WALL_MS = 50;
    static final double TARGET_CPU_MS = 80;
    static final double TARGET_RSS_MIB = 8;

    private static final String PLAIN = "plain JVM";
    private static final String EMPTY = "empty agent";
    private static final String GUARD = "emfile-guard";

    /** One way to start the probe: a name and the JVM options it adds. */
    static final class Variant {
        final String name;
        final List<String> options;

        Variant(String name, String... options) {
            this.name = name;
            this.options = Arrays.asList(options);
        }
    }

    /** The measured runs of one configuration: per variant, one {@link Child} per round (same index = same round). */
    static final class Rounds {
        private static final Pattern WARNING =
                Pattern.compile("(?i)warn|error|exception|sharing is only supported");
        final Map<String, List<Child>> runs = new LinkedHashMap<>();
        int rounds;
        /** 1-minute load average before and after the configuration's runs. */
        String loadBefore;
        String loadAfter;

        List<Double> values(String variant, String what) {
            List<Double> v = new ArrayList<>();
            for (Child c : runs.get(variant)) {
                v.add(value(c, what));
            }
            return v;
        }

        double median(String variant, String what) {
            return Stats.median(values(variant, what));
        }

        /** Per-round differences {@code a - b}. */
        List<Double> diffs(String a, String b, String what) {
            List<Double> d = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                d.add(value(runs.get(a).get(r), what) - value(runs.get(b).get(r), what));
            }
            return d;
        }

        /**
         * Per run of a variant that printed a warning or error on stderr (the JVM's CDS warning, "WARNING:",
         * an agent WARN/ERROR line, a stack trace): its first such line. The agent's INFO banner is not one.
         */
        List<String> warnings(String variant) {
            List<String> n = new ArrayList<>();
            for (Child c : runs.get(variant)) {
                for (String line : c.stderr.split("\n")) {
                    if (!line.contains("INFO") && WARNING.matcher(line).find()) {
                        n.add(line.strip());
                        break;
                    }
                }
            }
            return n;
        }

        private static double value(Child c, String what) {
            switch (what) {
                case "wall": return c.wallMs;
                case "cpu": return c.cpuMs;
                case "rss": return c.rssMiB();
                default: throw new IllegalArgumentException(what);
            }
        }
    }

    void runBenchmarks() throws Exception {
        int rounds = quick ? 3 : 12;
        int sleepRounds = quick ? 2 : 8;
        int breakdownRounds = quick ? 2 : 8;
        Path emptyJar = emptyAgentJar();
        Variant[] three = {
                new Variant(PLAIN),
                new Variant(EMPTY, "-javaagent:" + emptyJar),
                new Variant(GUARD, "-javaagent:" + agentJar)};
        List<String[]> jdks = new ArrayList<>();
        jdks.add(new String[] {"17", java17});
        if (java25 != null) {
            jdks.add(new String[] {"25", java25});
        }
        for (String[] jdk : jdks) {
            for (String flags : new String[] {"", "-XX:TieredStopAtLevel=1"}) {
                Rounds r = measure(jdk[1], flags, 0, three, rounds);
                rows.add(targetRow("Start-up: JVM + 1 connect at once", jdk[0], flags, r));
                log(rows.get(rows.size() - 1).toString());
            }
        }
        for (String[] jdk : jdks) {
            Rounds r = measure(jdk[1], "", 1000, three, sleepRounds);
            rows.add(sleepRow(jdk[0], r));
            log(rows.get(rows.size() - 1).toString());
        }
        Variant[] five = {
                three[0], three[1],
                new Variant("enabled=false", "-javaagent:" + agentJar, "-Demfileguard.enabled=false"),
                new Variant("jmx=false", "-javaagent:" + agentJar, "-Demfileguard.jmx=false"),
                new Variant("defaults", "-javaagent:" + agentJar)};
        Rounds b = measure(java17, "", 0, five, breakdownRounds);
        rows.add(breakdownRow(b, five));
        log(rows.get(rows.size() - 1).toString());
        notes.add("Start-up: each run is a fresh JVM running `StartupProbe` (one loopback connect at once, or after "
                + "a 1 s sleep, then exit), timed by `/usr/bin/time -f '%e %U %S %M'`: wall, CPU = user + sys of the "
                + "whole JVM process (background threads included), both at GNU time's 10 ms resolution, and peak "
                + "RSS. Variants: plain JVM, empty agent (a jar whose `premain` does nothing: the JVM's own price "
                + "for `-javaagent`), emfile-guard (`agent/target/emfile-guard-agent.jar`). Each round runs every "
                + "variant once in rotating order (plain/empty/guard, empty/guard/plain, guard/plain/empty, ...), "
                + "after one unmeasured warm-up round. Per-variant figures are medians over the rounds; added = "
                + "median of the per-round differences (emfile-guard − empty agent for wall and CPU, emfile-guard "
                + "− plain JVM for RSS), min..max in brackets. Where the time goes and reference points: design "
                + "notes (\"Byte Buddy on JDK classes\", \"CDS and AOT\"). The JVM exits when `main` returns, so the "
                + "at-once rows count background work only until then; the sleep 1 s rows show work deferred past "
                + "`main`. A run that printed a warning on stderr is flagged in its row. \"load a→b\" = 1-minute "
                + "load average before → after the row's runs (" + Runtime.getRuntime().availableProcessors()
                + " cores; other builds and tests may be running).");
    }

    private Rounds measure(String java, String flags, int sleepMillis, Variant[] variants, int rounds)
            throws Exception {
        Rounds res = new Rounds();
        res.rounds = rounds;
        res.loadBefore = loadAverage();
        for (Variant v : variants) {
            res.runs.put(v.name, new ArrayList<>());
        }
        for (int r = -1; r < rounds; r++) {
            for (int k = 0; k < variants.length; k++) {
                Variant v = variants[(k + Math.max(r, 0)) % variants.length];
                List<String> cmd = new ArrayList<>();
                cmd.add(java);
                if (!flags.isEmpty()) {
                    cmd.add(flags);
                }
                cmd.addAll(v.options);
                cmd.addAll(Arrays.asList("-cp", classes, "io.emfileguard.bench.StartupProbe",
                        String.valueOf(ports.get("accept")), String.valueOf(sleepMillis)));
                Child c = Child.run(cmd, 60, true).check(cmd);
                if (r >= 0) { // round -1 is the warm-up
                    res.runs.get(v.name).add(c);
                }
            }
        }
        res.loadAfter = loadAverage();
        return res;
    }

    private Row targetRow(String what, String jdk, String flags, Rounds r) {
        List<Double> dWall = r.diffs(GUARD, EMPTY, "wall");
        List<Double> dCpu = r.diffs(GUARD, EMPTY, "cpu");
        List<Double> dRss = r.diffs(GUARD, PLAIN, "rss");
        double wall = Stats.median(dWall);
        double cpu = Stats.median(dCpu);
        double rss = Stats.median(dRss);
        List<String> over = new ArrayList<>();
        if (wall > TARGET_WALL_MS) {
            over.add("wall +" + fmt(wall - TARGET_WALL_MS, 0) + " ms over");
        }
        if (cpu > TARGET_CPU_MS) {
            over.add("CPU +" + fmt(cpu - TARGET_CPU_MS, 0) + " ms over");
        }
        if (rss > TARGET_RSS_MIB) {
            over.add("RSS +" + fmt(rss - TARGET_RSS_MIB, 1) + " MiB over");
        }
        return new Row("1", what, setup(jdk, flags, r),
                cell(r, GUARD) + stderrNote(r),
                EMPTY + ": " + cell(r, EMPTY) + "; " + PLAIN + ": " + cell(r, PLAIN)
                        + "; empty agent over plain: " + added(r, EMPTY, PLAIN, "wall", " ms wall", 0) + ", "
                        + added(r, EMPTY, PLAIN, "cpu", " ms CPU", 0) + ", " + added(r, EMPTY, PLAIN, "rss", " MiB RSS", 1),
                "beyond the empty agent: **" + signed(wall, 0) + " ms wall** " + range(dWall, 0) + ", **"
                        + signed(cpu, 0) + " ms CPU** " + range(dCpu, 0) + "; beyond plain: **" + signed(rss, 1)
                        + " MiB RSS** " + range(dRss, 1),
                "≤ +" + fmt(TARGET_WALL_MS, 0) + " ms wall, ≤ +" + fmt(TARGET_CPU_MS, 0) + " ms CPU beyond the empty "
                        + "agent; ≤ +" + fmt(TARGET_RSS_MIB, 0) + " MiB RSS beyond plain",
                over.isEmpty() ? "yes" : "no: " + String.join(", ", over), "`--only startup`");
    }

    private Row sleepRow(String jdk, Rounds r) {
        List<Double> dWall = r.diffs(GUARD, EMPTY, "wall");
        List<Double> dCpu = r.diffs(GUARD, EMPTY, "cpu");
        List<Double> dRss = r.diffs(GUARD, PLAIN, "rss");
        return new Row("1", "Start-up: JVM, sleep 1 s, 1 connect", setup(jdk, "", r),
                cell(r, GUARD) + stderrNote(r),
                EMPTY + ": " + cell(r, EMPTY) + "; " + PLAIN + ": " + cell(r, PLAIN),
                "beyond the empty agent: " + signed(Stats.median(dWall), 0) + " ms wall " + range(dWall, 0) + ", "
                        + signed(Stats.median(dCpu), 0) + " ms CPU " + range(dCpu, 0) + "; beyond plain: "
                        + signed(Stats.median(dRss), 1) + " MiB RSS " + range(dRss, 1),
                "(diagnostic: work deferred past `main` shows here)", "—", "`--only startup`");
    }

    private Row breakdownRow(Rounds r, Variant[] variants) {
        StringBuilder sb = new StringBuilder();
        for (Variant v : variants) {
            if (v.name.equals(PLAIN) || v.name.equals(EMPTY)) {
                continue;
            }
            sb.append(sb.length() == 0 ? "" : "; ").append(v.name).append(": ")
                    .append(added(r, v.name, EMPTY, "wall", " ms wall", 0)).append(", ")
                    .append(added(r, v.name, EMPTY, "cpu", " ms CPU", 0)).append(", ")
                    .append(added(r, v.name, PLAIN, "rss", " MiB RSS", 1));
        }
        return new Row("1", "Start-up breakdown: 1 connect at once",
                "JDK 17, default flags, " + r.rounds + " rotating rounds of " + variants.length + " variants (+1 warm-up)"
                        + load(r),
                sb.toString(),
                PLAIN + ": " + cell(r, PLAIN) + "; " + EMPTY + ": " + cell(r, EMPTY),
                "medians of per-round differences: wall and CPU beyond the empty agent, RSS beyond plain",
                "(diagnostic)", "—", "`--only startup`");
    }

    private static String setup(String jdk, String flags, Rounds r) {
        return "JDK " + jdk + ", " + (flags.isEmpty() ? "default flags" : "`" + flags + "`") + ", " + r.rounds
                + " rotating rounds of plain / empty agent / emfile-guard (+1 warm-up)" + load(r);
    }

    private static String load(Rounds r) {
        return "; load " + r.loadBefore + "→" + r.loadAfter;
    }

    private static String cell(Rounds r, String variant) {
        return "wall " + fmt(r.median(variant, "wall"), 0) + " ms, CPU " + fmt(r.median(variant, "cpu"), 0)
                + " ms, RSS " + fmt(r.median(variant, "rss"), 1) + " MiB";
    }

    private static String added(Rounds r, String a, String b, String what, String unit, int decimals) {
        return signed(Stats.median(r.diffs(a, b, what)), decimals) + unit;
    }

    private static String range(List<Double> d, int decimals) {
        return "(" + fmt(Stats.min(d), decimals) + ".." + fmt(Stats.max(d), decimals) + ")";
    }

    private static String stderrNote(Rounds r) {
        List<String> n = r.warnings(GUARD);
        if (n.isEmpty()) {
            return "";
        }
        String first = n.get(0).replace("|", "\\|").replace("`", "'");
        return "; warning on stderr in " + n.size() + "/" + r.rounds + " runs: \""
                + (first.length() > 160 ? first.substring(0, 160) + "…" : first) + "\"";
    }

    /** A one-class agent jar whose {@code premain} does nothing (the JVM's own price for {@code -javaagent}). */
    private Path emptyAgentJar() throws Exception {
        Path emptyJar = root.resolve("benchmarks/target/empty-agent.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Premain-Class", EmptyAgent.class.getName());
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(emptyJar), mf)) {
            String entry = EmptyAgent.class.getName().replace('.', '/') + ".class";
            jar.putNextEntry(new JarEntry(entry));
            jar.write(Files.readAllBytes(Path.of(classes, entry)));
            jar.closeEntry();
        }
        return emptyJar;
    }
}
