#!/usr/bin/env bash
# Checks that the agent jar and the Lambda layer zip are reproducible: two builds of the same
# commit, each from an empty agent/target, must give byte-identical files (sha256). What makes them
# so is project.build.outputTimestamp in the parent pom. About 30 s on 2 cores (tests not built).
#
# Usage: scripts/check-reproducible.sh   (run from anywhere; leaves agent/target built)
set -euo pipefail
cd "$(dirname "$0")/.."

files=(agent/target/emfile-guard-agent.jar agent/target/emfile-guard-layer.zip)
first="$(mktemp -d)"
trap 'rm -rf "$first"' EXIT

build() {
    rm -rf agent/target
    mvn -B -q -pl agent package -Dmaven.test.skip=true
}

build
cp "${files[@]}" "$first/"
sleep 1 # a build that stamped the clock into an entry would now differ by at least a second
build

status=0
for f in "${files[@]}"; do
    a="$(sha256sum "$first/$(basename "$f")" | cut -d' ' -f1)"
    b="$(sha256sum "$f" | cut -d' ' -f1)"
    if [[ "$a" == "$b" ]]; then
        echo "reproducible: $f ($b)"
    else
        echo "NOT reproducible: $f differs between two builds ($a, then $b)" >&2
        status=1
    fi
done
exit "$status"
