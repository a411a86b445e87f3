#!/usr/bin/env bash
# Builds release VERSION of emfile-guard from a clean copy of HEAD (the working tree is left as it
# is; uncommitted changes are not in the release) and writes to OUTDIR:
#
#   OUTDIR/repository/                      a staging repository in the standard layout: the parent
#                                           POM, the agent jar, its sources and javadoc jars, its
#                                           CycloneDX SBOM (json, xml), its POM
#   OUTDIR/emfile-guard-agent-VERSION.jar   the download (the same jar)
#   OUTDIR/emfile-guard-layer-VERSION.zip   the AWS Lambda layer
#
# every file with .md5, .sha1, .sha256 and .sha512 beside it. Then it proves the result: a fresh
# Maven project, with an empty local repository and no network (every other repository answered
# from this machine's local repository), resolves io.emfileguard:emfile-guard-agent:VERSION from
# OUTDIR/repository alone, and nothing with it; a JVM started with the resolved jar prints the
# agent's INFO line, and so does one started through the layer's wrapper; the jar and the layer
# carry the licence and notice files.
#
# Signing: no keys exist here. With RELEASE_SIGN set to a command, the script runs
# `$RELEASE_SIGN FILE` for every file it publishes, before the checksums, and that command must
# write FILE.asc, e.g. RELEASE_SIGN='gpg --batch --yes --armor --detach-sign' (docs/releasing.md).
#
# Usage: scripts/release.sh VERSION OUTDIR          (OUTDIR must be empty or absent)
#        scripts/release.sh --check VERSION OUTDIR   only the proof, on an OUTDIR written before
# Takes about 40 s on 2 cores; the tests are not run (CI ran them on the commit).
set -euo pipefail

die() { echo "release.sh: $*" >&2; exit 1; }
usage() {
    echo "usage: scripts/release.sh VERSION OUTDIR   (e.g. scripts/release.sh 0.1.0 /tmp/emfile-guard-0.1.0)" >&2
    echo "       scripts/release.sh --check VERSION OUTDIR" >&2
    exit 2
}

check_only=false
if [[ "${1:-}" == "--check" ]]; then
    [[ $# -eq 3 ]] || usage
    check_only=true
    version="$2"
    out="$3"
else
    [[ $# -eq 2 ]] || usage
    version="$1"
    out="$2"
fi
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][0-9A-Za-z.-]+)?$ && "$version" != *SNAPSHOT* ]] \
    || die "'$version' is not a release version (like 0.1.0, no -SNAPSHOT)"

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
staging_id=emfile-guard-staging

if ! $check_only; then
    mkdir -p "$out"
    out="$(cd "$out" && pwd)"
    [[ -z "$(ls -A "$out")" ]] || die "$out is not empty"
    staging="$out/repository"
    commit="$(git -C "$repo" rev-parse HEAD)"
    if [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]]; then
        echo "release.sh: uncommitted changes in $repo are not in the release: it builds HEAD ($commit)" >&2
    fi

    # 1. A clean copy of HEAD, every module's version set to VERSION.
    mkdir "$work/src"
    git -C "$repo" archive --format=tar "$commit" | tar -x -C "$work/src"
    current="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$work/src/pom.xml" | head -1)"
    [[ -n "$current" ]] || die "no project version in pom.xml"
    find "$work/src" -name pom.xml -exec sed -i "s|<version>${current//./\\.}</version>|<version>$version</version>|" {} +
    ! grep -rl --include=pom.xml -F "<version>$current</version>" "$work/src" >/dev/null \
        || die "a pom.xml still names version $current"
    echo "release.sh: building $version from $commit"

    # 2. Build and deploy the parent and the agent into the staging repository. Not installed: the
    # local repository keeps no copy of the release, so the proof below cannot find one there.
    (cd "$work/src" && mvn -B -q deploy -pl agent -am -Dmaven.test.skip=true -Dmaven.install.skip=true \
        -DaltDeploymentRepository="$staging_id::file://$staging")
    cp "$work/src/agent/target/emfile-guard-layer-$version.zip" "$out/"
    cp "$work/src/agent/target/emfile-guard-agent.jar" "$out/emfile-guard-agent-$version.jar"

    # 3. The signing hook, then the checksums of every file (signatures included).
    published() {
        find "$out" -type f ! -name '*.md5' ! -name '*.sha1' ! -name '*.sha256' ! -name '*.sha512' "$@" -print0 | sort -z
    }
    if [[ -n "${RELEASE_SIGN:-}" ]]; then
        while IFS= read -r -d '' f; do
            $RELEASE_SIGN "$f"
            [[ -f "$f.asc" ]] || die "RELEASE_SIGN wrote no $f.asc"
        done < <(published ! -name '*.asc' ! -name 'maven-metadata.xml')
    else
        echo "release.sh: not signed (no RELEASE_SIGN; see docs/releasing.md)"
    fi
    while IFS= read -r -d '' f; do
        for alg in md5 sha1 sha256 sha512; do
            # the deploy wrote .md5 and .sha1 already; they must agree
            sum="$("${alg}sum" "$f" | cut -d' ' -f1)"
            if [[ -f "$f.$alg" ]]; then
                [[ "$(tr -d ' \n' < "$f.$alg")" == "$sum" ]] || die "$f.$alg does not match $f"
            else
                printf '%s' "$sum" > "$f.$alg"
            fi
        done
    done < <(published)
else
    out="$(cd "$out" && pwd)"
    staging="$out/repository"
fi

# 4. The proof. A fresh project that depends on the agent and declares the staging repository; an
# empty local repository; every other repository (the central one, for the parent's imported JUnit
# BOM and for the dependency plugin) mirrored by this machine's local repository, so no network.
plugin=org.apache.maven.plugins:maven-dependency-plugin:3.11.0
check="$work/check"
mkdir -p "$check"
cat > "$check/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>uses-emfile-guard</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <repositories>
    <repository>
      <id>$staging_id</id>
      <url>file://$staging</url>
    </repository>
  </repositories>
  <dependencies>
    <dependency>
      <groupId>io.emfileguard</groupId>
      <artifactId>emfile-guard-agent</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
# The plugin into this machine's local repository (fetched once, as any build's plugins are), and
# where that repository is.
local_repo="$(cd "$check" && mvn -X -B "$plugin:help" 2>&1 | sed -n 's|.*Using local repository at \(/[^ ]*\).*|\1|p' | head -1)"
[[ -d "$local_repo/org/apache/maven/plugins/maven-dependency-plugin" ]] \
    || die "could not fetch $plugin (local repository: '${local_repo:-unknown}')"
cat > "$check/settings.xml" <<SETTINGS
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <localRepository>$check/empty-local-repository</localRepository>
  <mirrors>
    <mirror>
      <id>this-machine</id>
      <mirrorOf>external:*</mirrorOf>
      <url>file://$local_repo</url>
    </mirror>
  </mirrors>
</settings>
SETTINGS
(cd "$check" && mvn -B -q -s settings.xml -gs settings.xml "$plugin:copy-dependencies" -DoutputDirectory=lib)
resolved="$(ls "$check/lib")"
[[ "$resolved" == "emfile-guard-agent-$version.jar" ]] \
    || die "the fresh project resolved '$(echo $resolved)', not the agent jar alone"
origin="$check/empty-local-repository/io/emfileguard/emfile-guard-agent/$version/_remote.repositories"
grep -qx "emfile-guard-agent-$version.jar>$staging_id=" "$origin" \
    || die "the agent jar did not come from $staging: $(cat "$origin" 2>/dev/null)"
jar="$check/lib/emfile-guard-agent-$version.jar"
echo "release.sh: a fresh project resolved io.emfileguard:emfile-guard-agent:$version from $staging alone"

line="INFO emfile-guard - emfile-guard $version active:"
java -javaagent:"$jar" -version > "$check/java.out" 2>&1 || { cat "$check/java.out" >&2; die "java -javaagent failed"; }
grep -F "$line" "$check/java.out" || { cat "$check/java.out" >&2; die "no '$line' from java -javaagent:$jar"; }

mkdir "$check/opt"
(cd "$check/opt" && unzip -q "$out/emfile-guard-layer-$version.zip")
"$check/opt/emfile-guard-wrapper" java -version > "$check/wrapper.out" 2>&1 \
    || { cat "$check/wrapper.out" >&2; die "the layer's wrapper failed"; }
grep -qF "$line" "$check/wrapper.out" || { cat "$check/wrapper.out" >&2; die "no '$line' through the layer's wrapper"; }
echo "release.sh: the layer's wrapper started the agent too"

asm="Copyright (c) 2000-2011 INRIA, France Telecom"
for f in META-INF/LICENSE META-INF/NOTICE META-INF/licenses/byte-buddy/licenses/ASM; do
    unzip -Z1 "$jar" "$f" >/dev/null 2>&1 || die "the jar has no $f"
done
unzip -p "$jar" META-INF/licenses/byte-buddy/licenses/ASM | grep -qF "$asm" || die "the jar lacks ASM's copyright line"
for f in LICENSE NOTICE licenses/byte-buddy/licenses/ASM; do
    [[ -f "$check/opt/emfile-guard-licenses/$f" ]] || die "the layer has no emfile-guard-licenses/$f"
done
grep -qF "$asm" "$check/opt/emfile-guard-licenses/licenses/byte-buddy/licenses/ASM" || die "the layer lacks ASM's copyright line"
for f in pom sources.jar javadoc.jar cyclonedx.json cyclonedx.xml; do
    base="$staging/io/emfileguard/emfile-guard-agent/$version/emfile-guard-agent-$version"
    [[ "$f" == pom ]] && p="$base.pom" || p="$base-$f"
    for alg in "" .md5 .sha1 .sha256 .sha512; do
        [[ -f "$p$alg" ]] || die "the staging repository has no $(basename "$p$alg")"
    done
done
echo "release.sh: licence and notice files in the jar and the layer; sources, javadoc, SBOM and checksums staged"
echo "release.sh: release $version in $out: OK"
