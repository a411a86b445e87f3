#!/usr/bin/env bash
# Builds the agent and the benchmarks, runs every benchmark, and writes the results table into
# docs/performance.md (full runs only). Takes about 15 minutes on 2 cores.
#
#   benchmarks/run.sh                      # everything; updates docs/performance.md
#   benchmarks/run.sh --only startup,wake  # some sections: results in benchmarks/target/results.md only
#   benchmarks/run.sh --only startup --doc-sections  # ...and those sections' rows in docs/performance.md
#   benchmarks/run.sh --quick              # fewer pairs, a smoke test (never written to the doc)
#   benchmarks/run.sh --no-doc             # a full run that leaves docs/performance.md alone
#   benchmarks/run.sh --only soak          # the 10-minute soak (not part of a full run; exits 1 if it fails)
#
# Sections: startup gate connect io wake storm scale fanout (the demo at the cap, ~7 min), and soak
# (only with --only: a full run keeps the soak's rows already in the table). JDK 17 is the `java` on PATH (or JAVA_HOME);
# JDK 25 is /usr/lib/jvm/temurin-25-jdk-amd64 unless --java25 /path/to/bin/java is given.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
rm -rf benchmarks/target/lib
mvn -B -q -pl agent,demo-app,benchmarks -am -DskipTests -Pbench package
"$JAVA" -cp benchmarks/target/classes io.emfileguard.bench.Runner --root . --java17 "$(command -v "$JAVA")" "$@"
echo "total including the build: $(( $(date +%s) - start )) s" >&2
