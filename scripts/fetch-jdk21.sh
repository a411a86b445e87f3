#!/usr/bin/env bash
# Fetches JDK 21 for the end-to-end tests: Debian trixie's openjdk-21-jre-headless and the C
# library it was built against, unpacked into .cache/jdk21 (ignored by git). Nothing is installed:
# apt-get runs with a private sources list, package lists and cache, and touches no system package.
# Trixie's JVM needs trixie's glibc (newer than this machine's), so <home>/bin/java is a script that
# starts the JVM through trixie's own loader (ld-linux-x86-64.so.2 --library-path ...); DIR/home is
# a link to the unpacked JDK (bin/java, release).
#
# Usage: scripts/fetch-jdk21.sh [DIR]   (DIR defaults to <repo>/.cache/jdk21)
# The JDK home for the tests is DIR/home (it-tests' it.jdk21.home). Idempotent: a second run that
# finds a working DIR/home returns at once; remove DIR to fetch anew.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$repo/.cache/jdk21}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
home="$dir/home"
root="$dir/root"
jdk_rel=usr/lib/jvm/java-21-openjdk-amd64
jdk="$root/$jdk_rel"
# The JVM's shared libraries load these, besides the JDK's own (checked with ldd on lib/*.so that a
# headless, networking JVM loads; AWT, sound, fonts, Kerberos and smart cards are left out).
packages=(openjdk-21-jre-headless libc6 zlib1g libgcc-s1 libstdc++6)

# The stamp is this script's own checksum: an edited script fetches anew.
stamp="$(sha256sum "$0" | cut -d' ' -f1)"
if [[ -x "$home/bin/java" && "$(cat "$dir/.done" 2>/dev/null)" == "$stamp" ]] \
        && "$home/bin/java" -version >/dev/null 2>&1; then
    echo "JDK 21 already at $home"
    exit 0
fi

# The Debian mirror this machine uses: the first URIs: entry of its deb822 sources (or the first
# deb line of a one-line-style list).
uri=""
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
fi
if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    # deb [options] URI suite ...: the first word after the bracketed options
    uri="$(awk '$1 == "deb" {o = 0; for (i = 2; i <= NF; i++) {
        if ($i ~ /^\[/) o = 1; if (!o) {print $i; exit}; if ($i ~ /\]$/) o = 0 }}' /etc/apt/sources.list)"
fi
if [[ -z "$uri" ]]; then
    echo "fetch-jdk21: no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
    exit 1
fi

apt="$dir/apt"
rm -rf "$root" "$home" "$dir/.done"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$root"
echo "deb [trusted=yes] $uri trixie main" > "$apt/sources.list"
touch "$apt/status"
apt_opts=(
    -o "Dir::Etc::SourceList=$apt/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists"
    -o "Dir::State::status=$apt/status"
    -o "Dir::Cache=$apt/cache"
    -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null
    -o APT::Sandbox::User=root
)
apt-get "${apt_opts[@]}" -q update
(cd "$apt/debs" && rm -f ./*.deb && apt-get "${apt_opts[@]}" -q download "${packages[@]}")
for deb in "$apt/debs"/*.deb; do
    dpkg-deb -x "$deb" "$root"
done

# The JDK's absolute links into /etc/java-21-openjdk: point them at the unpacked copy.
find "$jdk" -type l | while read -r link; do
    target="$(readlink "$link")"
    case "$target" in
        /etc/java-21-openjdk*) ln -sfn "$root$target" "$link" ;;
    esac
done

# Every program of the JDK (bin/java, and lib/jspawnhelper, which ProcessBuilder starts) becomes a
# script that runs the real one (<name>.real) through trixie's loader with trixie's libraries, so a
# JVM that starts another JVM or a process from its java.home works too. The loader runs the
# program in its own process (no exec): the pid that starts is the JVM's.
libs="$root/usr/lib/x86_64-linux-gnu:$jdk/lib:$jdk/lib/server"
loader="$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
[[ -x "$loader" ]] || { echo "fetch-jdk21: no $loader in libc6" >&2; exit 1; }
for program in "$jdk"/bin/* "$jdk/lib/jspawnhelper"; do
    [[ -f "$program" && ! -L "$program" && "$program" != *.real ]] || continue
    [[ "$(head -c 4 "$program")" == $'\x7fELF' ]] || continue
    mv "$program" "$program.real"
    cat > "$program" <<WRAPPER
#!/bin/sh
# Written by scripts/fetch-jdk21.sh: Debian trixie's $(basename "$program") through trixie's C library loader.
exec "$loader" --library-path "$libs" "$program.real" "\$@"
WRAPPER
    chmod 755 "$program"
done
[[ -f "$jdk/release" ]] || { echo "fetch-jdk21: no release file in $jdk" >&2; exit 1; }
ln -sfn "$jdk" "$home"
"$home/bin/java" -version
echo "$stamp" > "$dir/.done"
echo "JDK 21 at $home"
