package io.emfileguard.demo.launcher;

import io.emfileguard.demo.ClientKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The launcher's command line. */
final class Options {

    static final String USAGE = String.join("\n",
            "usage: java -jar demo-app/target/demo-app.jar [options]",
            "",
            "Runs the field's Lambda fan-out twice in child JVMs limited to --fd-limit descriptors: once",
            "plain, once with -javaagent:emfile-guard-agent.jar, against local stub services, and prints",
            "both results side by side. Exit status 0 exactly when the run with the agent had no failures.",
            "",
            "  --records N         records per batch (300); every record calls every service",
            "  --services N        downstream services called per record, in parallel (11)",
            "  --sweep A,B,...     repeat the pair of runs for each batch size (e.g. 300,400,500)",
            "  --clients LIST      client per service, round robin (" + ClientKind.DEFAULT_MIX + ");",
            "                      also: dynamodb-async, sdk (= dynamodb,lambda,dynamodb-async),",
            "                      blocking (= urlconnection,dynamodb,lambda), all",
            "  --latency-ms N      how long the stub services take to answer (" + Options.DEFAULT_LATENCY_MS + ")",
            "  --jitter-ms N       answers spread uniformly over latency +/- jitter (latency/5)",
            "  --latency-profile P uniform (every service latency +/- jitter), spread (services' latencies",
            "                      spread evenly from 0.5 s to 4 s, each +/- a fifth) or one-slow (the last",
            "                      service 5x slower than the rest, its jitter too) (uniform)",
            "  --hand-tuned        a third run, without the agent, same limit: each service's client bounded",
            "                      by hand so that all fit the agent's cap together (floor(cap / services)",
            "                      connections each for the SDK's pools, a fair semaphore per service for",
            "                      HttpURLConnection, the Lambda client and sendAsync)",
            "  --skip-plain        no run without the agent (the agent's and the hand-tuned runs only)",
            "  --fd-limit N        descriptor limit of the children, soft and hard (1024, as on AWS Lambda)",
            "  --max-sockets N     the agent's cap (default: the agent's own, 896 under 1024 descriptors)",
            "  --agent PATH        the agent jar (default: agent/target/emfile-guard-agent.jar, looked up from",
            "                      the working directory and from this jar's location)",
            "  --java PATH         java executable of the children (default: the one running this launcher)",
            "  --jvm-opt OPT       extra option for both children (repeatable)",
            "  --timeout-s N       longest run of one child before it is killed (120)",
            "  --plain             periodic progress lines instead of a live line, even on a terminal",
            "  --chart PATH        where the picture of the run goes, a PNG (default: demo-run.png next to",
            "                      this jar; a sweep writes one per batch size, -<records> added to the name)",
            "  --help              this text");

    static final long DEFAULT_LATENCY_MS = 2000;

    List<Integer> batches = new ArrayList<>(List.of(300));
    int services = 11;
    String clients = ClientKind.DEFAULT_MIX;
    long latencyMillis = DEFAULT_LATENCY_MS;
    long jitterMillis = -1;
    String latencyProfile = "uniform";
    boolean handTuned;
    boolean skipPlain;
    int fdLimit = 1024;
    Integer maxSockets;
    String agent;
    String java;
    List<String> jvmOptions = new ArrayList<>();
    long timeoutSeconds = 120;
    boolean plain;
    boolean help;
    /** Where the picture of the run goes; null: the default (see {@link DemoLauncher#chartPath}). */
    String chart;

    /** "300 records" or "300, 400 and 500 records". */
    String batchDescription() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < batches.size(); i++) {
            if (i > 0) {
                sb.append(i == batches.size() - 1 ? " and " : ", ");
            }
            sb.append(batches.get(i));
        }
        return sb.append(" records").toString();
    }

    static Options parse(String[] args) {
        Options o = new Options();
        boolean sweep = false;
        Integer records = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--help":
                case "-h":
                    o.help = true;
                    break;
                case "--plain":
                    o.plain = true;
                    break;
                case "--hand-tuned":
                    o.handTuned = true;
                    break;
                case "--skip-plain":
                    o.skipPlain = true;
                    break;
                default:
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(arg + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (arg) {
                        case "--records":
                            records = positive(arg, value);
                            break;
                        case "--sweep":
                            o.batches = new ArrayList<>();
                            for (String part : value.split(",")) {
                                if (!part.isBlank()) {
                                    o.batches.add(positive(arg, part.trim()));
                                }
                            }
                            if (o.batches.isEmpty()) {
                                throw new IllegalArgumentException("--sweep needs batch sizes, e.g. 300,400,500");
                            }
                            sweep = true;
                            break;
                        case "--services":
                            o.services = positive(arg, value);
                            break;
                        case "--clients":
                            ClientKind.parseMix(value); // fail early on a typo
                            o.clients = value;
                            break;
                        case "--latency-ms":
                            o.latencyMillis = nonNegative(arg, value);
                            break;
                        case "--jitter-ms":
                            o.jitterMillis = nonNegative(arg, value);
                            break;
                        case "--latency-profile":
                            o.latencyProfile = io.emfileguard.demo.stub.LatencyProfile.check(value);
                            break;
                        case "--fd-limit":
                            o.fdLimit = positive(arg, value);
                            break;
                        case "--max-sockets":
                            o.maxSockets = positive(arg, value);
                            break;
                        case "--agent":
                            o.agent = value;
                            break;
                        case "--java":
                            o.java = value;
                            break;
                        case "--jvm-opt":
                            o.jvmOptions.add(value);
                            break;
                        case "--timeout-s":
                            o.timeoutSeconds = positive(arg, value);
                            break;
                        case "--chart":
                            if (!value.toLowerCase(Locale.ROOT).endsWith(".png")) {
                                throw new IllegalArgumentException("--chart must name a .png file, not " + value);
                            }
                            o.chart = value;
                            break;
                        default:
                            throw new IllegalArgumentException("unknown option " + arg);
                    }
            }
        }
        if (records != null) {
            if (sweep) {
                throw new IllegalArgumentException("give either --records or --sweep");
            }
            o.batches = new ArrayList<>(List.of(records));
        }
        if (o.jitterMillis < 0) {
            o.jitterMillis = o.latencyMillis / 5;
        }
        return o;
    }

    private static int positive(String option, String value) {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " must be a positive number, not " + value);
        }
        return (int) n;
    }

    private static long nonNegative(String option, String value) {
        try {
            long n = Long.parseLong(value.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number >= 0, not " + value);
        }
    }
}
