#!/usr/bin/env bash
# Issue 25's side-by-side table of async clients at the cap: for each kind (JDK HttpClient.sendAsync,
# AWS SDK DynamoDbAsyncClient over NettyNioAsyncHttpClient, Apache HttpAsyncClient 5), 3,300 calls
# issued from one thread under prlimit --nofile=1024:1024, cap 500, stub latency 3 s: without the
# agent (pools raised), with the agent (pools raised), and hand-tuned to the cap without the agent.
# Runs AsyncClientsIT in its full mode (-Dasync.full=true) and prints, per JDK and kind, each
# mode's failed calls, issuing time, batch time and kernel TCP peak (min-max over the runs), then
# the cancel/timeout runs and every child's row.
#
#   it-tests/run-async-table.sh [-n runs] [-k kinds] [-j jdks] [--no-build]
#     -n  runs of each child, interleaved (default 1)
#     -k  comma-separated kinds (default jdk-sendasync,sdk-netty,apache5-async)
#     -j  comma-separated JDK features among 17,21,25 (default 17)
#     --no-build  skip building agent, test-support and demo-app first
#
# Both cores for ~2 minutes per kind and JDK and run (children run one at a time): not while
# others need the machine. The test's own assertions fail until the agent defers async work; the
# table is printed either way (maven.test.failure.ignore). Rows: it-tests/target/async-table.tsv;
# Maven's output: it-tests/target/async-table-mvn.log; each child's output: target/child-output.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=1
kinds=jdk-sendasync,sdk-netty,apache5-async
jdks=17
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    -k) kinds="$2"; shift 2 ;;
    -j) jdks="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  mvn -B -q install -pl agent,test-support,demo-app -DskipTests
fi
rows=it-tests/target/async-table.tsv
log=it-tests/target/async-table-mvn.log
mkdir -p it-tests/target
rm -f "$rows"
start=$(date +%s)
set +e
mvn -B verify -pl it-tests -Dit.test=AsyncClientsIT -Dasync.clients=true -Dasync.full=true \
  -Dasync.runs="$runs" -Dasync.kinds="$kinds" -Dasync.jdks="$jdks" -Dmaven.test.failure.ignore=true >"$log" 2>&1
status=$?
set -e
echo "mvn exit $status after $(( $(date +%s) - start )) s; $(grep -E 'Tests run:.*Fail' "$log" | tail -1 | sed 's/^\[[A-Z]*\] //')"
if [ ! -s "$rows" ]; then
  echo "no rows in $rows: see $log" >&2
  exit 1
fi

awk -F'\t' -v runs="$runs" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  function add(key, name, v) {
    k = key SUBSEP name
    if (!(k in lo) || v + 0 < lo[k] + 0) lo[k] = v
    if (!(k in hi) || v + 0 > hi[k] + 0) hi[k] = v
  }
  function range(key, name,   k) {
    k = key SUBSEP name
    if (!(k in lo)) return "-"
    return lo[k] == hi[k] ? lo[k] : lo[k] "-" hi[k]
  }
  {
    key = $col["jdk"] SUBSEP $col["kind"] SUBSEP $col["mode"]
    add(key, "failed", $col["failed"] + $col["unfinished"])
    add(key, "emfile", $col["emfile"])
    add(key, "issuing", $col["issuing_ms"])
    add(key, "batch", $col["batch_ms"])
    add(key, "peak", $col["kernel_tcp_peak"])
    add(key, "drift", $col["drift"])
    add(key, "parked", $col["eventloop_parked"])
    add(key, "held", $col["issuing_parked_ms"])
    if (!(($col["jdk"] SUBSEP $col["kind"]) in seen)) { seen[$col["jdk"] SUBSEP $col["kind"]] = 1; order[++n] = $col["jdk"] SUBSEP $col["kind"] }
    line[++m] = $0
  }
  END {
    printf "%d run(s) each; failed = failed + unfinished (of which EMFILE); times in ms; peak = kernel TCP sockets (parent, /proc)\n\n", runs
    print "| JDK | client | no agent: failed | issuing | batch* | peak | agent: failed | issuing (held by gate) | batch | peak | event loop parked | hand-tuned: failed | issuing | batch | peak |"
    print "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    for (i = 1; i <= n; i++) {
      split(order[i], p, SUBSEP)
      b = order[i] SUBSEP "no-agent"; a = order[i] SUBSEP "agent"; h = order[i] SUBSEP "hand-tuned"
      if (!((a SUBSEP "batch") in lo) && !((b SUBSEP "batch") in lo)) continue
      printf "| %s | %s | %s (%s) | %s | %s | %s | %s (%s) | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", p[1], p[2],
        range(b, "failed"), range(b, "emfile"), range(b, "issuing"), range(b, "batch"), range(b, "peak"),
        range(a, "failed"), range(a, "emfile"), range(a, "issuing"), range(a, "held"), range(a, "batch"), range(a, "peak"), range(a, "parked"),
        range(h, "failed"), range(h, "issuing"), range(h, "batch"), range(h, "peak")
    }
    print "\n* without the agent the stub holds every reply until the whole batch is in flight or 10 s pass (certain EMFILE): that batch time is the hold'"'"'s."
    print "  jdk-sendasync hand-tuned: a fair FIFO of 500 permits in the app (the JDK client has no pool limit); the test compares the agent with Apache'"'"'s hand-tuned batch."
    print "\nCancel/timeout runs (800 calls, the last 100 cancelled, the 100 before them with a 300 ms timeout of their own):"
    print "| JDK | client | failed (EMFILE) | batch | peak | drift |"
    print "|---|---|--:|--:|--:|--:|"
    for (i = 1; i <= n; i++) {
      split(order[i], p, SUBSEP); c = order[i] SUBSEP "cancel"
      if ((c SUBSEP "batch") in lo)
        printf "| %s | %s | %s (%s) | %s | %s | %s |\n", p[1], p[2], range(c, "failed"), range(c, "emfile"), range(c, "batch"), range(c, "peak"), range(c, "drift")
    }
    print "\nEvery child:"
    print hdr
    for (j = 1; j <= m; j++) print line[j]
  }
' hdr="$(head -1 "$rows")" "$rows" | sed 's/\t/  /g'
