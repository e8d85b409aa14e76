#!/usr/bin/env bash
# Builds a custom Caxton image from the distribution built by `./mvnw package`:
#   - only the plugins you name (the others are left out), and
#   - with --link, the chosen plugins whose libraries are all explicit modules linked into the
#     runtime image itself; plugins with automatic modules (msgpack-core) stay in plugins/ folders.
#
# Usage: jlink/custom-image.sh --output DIR [--plugins NAME,NAME...] [--link] [--jdk JAVA_HOME]
#   NAME is a folder name under distribution/target/caxton/plugins (e.g. storage-sqlite).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/distribution/target/caxton"
core="$root/distribution/target/core-modules"
out="" plugins="" link=false jdk="${JAVA_HOME:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out=$2; shift 2 ;;
    --plugins) plugins=$2; shift 2 ;;
    --link) link=true; shift ;;
    --jdk) jdk=$2; shift 2 ;;
    *) echo "custom-image: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "custom-image: --output DIR is required" >&2; exit 2; }
[ -d "$dist" ] && [ -d "$core" ] || { echo "custom-image: build first: ./mvnw package -DskipTests" >&2; exit 1; }
[ -x "$jdk/bin/jlink" ] || { echo "custom-image: set JAVA_HOME (or --jdk) to a JDK 25" >&2; exit 1; }
[ -n "$plugins" ] || plugins=$(cd "$dist/plugins" && ls | paste -sd, -)
[ -e "$out" ] && { echo "custom-image: $out exists; remove it first" >&2; exit 1; }

mkdir -p "$out/plugins"
cp -r "$dist/bin" "$dist/conf" "$dist/tools" "$out/"
[ -d "$dist/examples" ] && cp -r "$dist/examples" "$out/"

modpath="$core"
addmods="dev.caxton.cli"
native="ALL-UNNAMED,dev.caxton.runtime"
IFS=, read -ra chosen <<<"$plugins"
for p in "${chosen[@]}"; do
  folder="$dist/plugins/$p"
  [ -d "$folder" ] || { echo "custom-image: no plugin folder $p (have: $(ls "$dist/plugins" | paste -sd' ' -))" >&2; exit 1; }
  linkable=$link
  if $link; then
    # jlink takes explicit modules only: a jar without module-info stays in a folder.
    for jar in "$folder"/*.jar; do
      if ! "$jdk/bin/jar" --list --file "$jar" | grep -Eq '^(META-INF/versions/[0-9]+/)?module-info\.class$'; then
        linkable=false
      fi
    done
  fi
  if $linkable; then
    modpath="$modpath:$folder"
    for jar in "$folder"/caxton-*.jar; do
      addmods="$addmods,$("$jdk/bin/jar" --describe-module --file "$jar" | head -1 | sed 's/@.*//')"
    done
    # Linked plugins are boot modules: those loading native code need native access at launch.
    [ "$p" = storage-sqlite ] && native="$native,org.xerial.sqlitejdbc"
    echo "custom-image: linking $p into the image"
  else
    cp -r "$folder" "$out/plugins/"
    echo "custom-image: $p stays a plugin folder"
  fi
done

"$jdk/bin/jlink" --module-path "$modpath" \
  --add-modules "$addmods,java.sql,java.sql.rowset,jdk.unsupported,jdk.crypto.ec,java.management,jdk.management,java.naming,java.xml,jdk.zipfs" \
  --output "$out/runtime" --strip-debug --no-header-files --no-man-pages --compress zip-6 --generate-cds-archive \
  --add-options="--add-modules=ALL-SYSTEM --enable-native-access=$native --sun-misc-unsafe-memory-access=allow"
"$out/bin/caxton" plugins list
