#!/usr/bin/env bash
# Checks that what a release publishes of the agent is reproducible: two builds of the same commit,
# each from an empty agent/target, must give byte-identical files (sha256): the agent jar, its
# sources and javadoc jars, its SBOM (CycloneDX JSON and XML), its published POM (dependency-reduced),
# and the Lambda layer zip under both its names (emfile-guard-layer.zip, and
# emfile-guard-layer-<version>.zip, the one scripts/release.sh publishes). What makes them so is
# project.build.outputTimestamp in the parent pom. About 40 s on 2 cores (tests not built).
#
# Usage: scripts/check-reproducible.sh   (run from anywhere; leaves agent/target built)
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -1)"
files=(
    agent/target/emfile-guard-agent.jar
    agent/target/emfile-guard-agent-sources.jar
    agent/target/emfile-guard-agent-javadoc.jar
    agent/target/emfile-guard-agent-cyclonedx.json
    agent/target/emfile-guard-agent-cyclonedx.xml
    agent/dependency-reduced-pom.xml
    agent/target/emfile-guard-layer.zip
    "agent/target/emfile-guard-layer-$version.zip"
)
first="$(mktemp -d)"
trap 'rm -rf "$first"' EXIT

build() {
    rm -rf agent/target agent/dependency-reduced-pom.xml
    mvn -B -q -pl agent package -Dmaven.test.skip=true
    for f in "${files[@]}"; do
        [[ -f "$f" ]] || { echo "check-reproducible: the build wrote no $f" >&2; exit 1; }
    done
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
