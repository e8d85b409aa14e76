#!/usr/bin/env bash
# Removes from the jars of plugin folders the native libraries of platforms other than the target,
# and whole jars whose classifier names another platform (netty-...-linux-aarch_64.jar). Libraries
# such as wasmtime-java and sqlite-jdbc carry every platform's binaries in one jar (23 MB for
# wasmtime); an image for one platform needs one of them.
#
# Usage: strip-natives.sh PLATFORM DIR...   PLATFORM is OS-ARCH: linux-x86_64, linux-aarch64,
#        macos-x86_64, macos-aarch64, windows-x86_64. Each DIR is a plugin folder (its jars are
#        rewritten in place: pass copies, never a Maven repository).
set -euo pipefail
platform=$1; shift
if ! command -v zip >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
  # Stripping only saves space: without the tools the folders stay whole and still work.
  echo "strip-natives: zip/unzip not installed; keeping every platform's native libraries" >&2
  exit 0
fi
os=${platform%%-*} arch=${platform#*-}
case "$os" in
  linux) os_re='linux' ;;
  macos) os_re='mac|macos|osx|darwin' ;;
  windows) os_re='windows|win32|win64|win' ;;
  *) echo "strip-natives: unknown OS '$os' in '$platform' (linux, macos, windows)" >&2; exit 2 ;;
esac
case "$arch" in
  x86_64) arch_re='x86_64|x86-64|amd64|x64' ;;
  aarch64) arch_re='aarch64|aarch_64|arm64' ;;
  *) echo "strip-natives: unknown architecture '$arch' in '$platform' (x86_64, aarch64)" >&2; exit 2 ;;
esac
all_os='linux|mac|macos|osx|darwin|windows|win32|win64|freebsd|android'
# Names are compared in lower case with '/', '-' and '.' read as '_' so that Linux/x86_64,
# linux-x86_64 and linux_x86_64 look alike; "win" must be a word, not part of "darwin".
norm() { tr 'A-Z' 'a-z' | sed 's#[/.-]#_#g'; }
matches() { # NAME: does it name the target platform (OS and architecture, not Android)?
  local n; n=$(printf '%s' "$1" | norm)
  printf '%s' "$n" | grep -Eq "(^|_)($os_re)(_|$)" && printf '%s' "$n" | grep -Eq "(^|_)($(printf '%s' "$arch_re" | norm))(_|$)" \
    && ! printf '%s' "$n" | grep -q android
}
names_a_platform() {
  printf '%s' "$1" | norm | grep -Eq "(^|_)($all_os)(_|$)"
}
removed=0
for dir in "$@"; do
  for jar in "$dir"/*.jar; do
    [ -e "$jar" ] || continue
    base=$(basename "$jar" .jar)
    # A jar that is all about one platform (a classifier at the end of its name).
    if printf '%s' "$base" | grep -Eq -- '-(linux|osx|macos|windows)-[a-z0-9_]+$' && ! matches "$base"; then
      rm -f "$jar"; removed=$((removed + 1)); continue
    fi
    mapfile -t natives < <(unzip -Z1 "$jar" | grep -Ei '\.(so|dylib|dll|jnilib)$' || true)
    drop=()
    for entry in "${natives[@]}"; do
      if names_a_platform "$entry" && ! matches "$entry"; then
        drop+=("$entry")
      fi
    done
    if [ ${#drop[@]} -gt 0 ]; then
      zip -q -d "$jar" "${drop[@]}" >/dev/null
      removed=$((removed + ${#drop[@]}))
    fi
  done
done
echo "strip-natives: kept $platform natives, removed $removed other-platform libraries"
