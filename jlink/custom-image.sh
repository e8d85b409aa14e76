#!/usr/bin/env bash
# Builds a custom Caxton image from the distribution built by `./mvnw package`:
#   - only the plugins you name (the others are left out), and
#   - with --link, the chosen plugins whose libraries are all explicit modules linked into the
#     runtime image itself; plugins with automatic modules (JGroups) stay in plugins/ folders.
#
#   - third-party plugin folders added with --plugin-dir (repeatable), and
#   - only the native libraries of the target platform kept in the plugin folders.
#
# Usage: jlink/custom-image.sh --output DIR [--plugins NAME,NAME...] [--plugin-dir DIR]... [--link]
#                              [--jdk JAVA_HOME] [--platform OS-ARCH] [--target-jmods DIR]
#   NAME is a folder name under distribution/target/caxton/plugins (e.g. storage-sqlite).
#   --platform (default: this machine's, e.g. linux-x86_64) names the platform whose natives are
#   kept; for a platform other than this machine's, also pass --target-jmods: the jmods/ directory
#   of a JDK 25 for that platform (the JDK running jlink links its own platform only).
# It prints the image's size and `plugins list` of the new image (when it can run here).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/distribution/target/caxton"
core="$root/distribution/target/core-modules"
out="" plugins="" link=false jdk="${JAVA_HOME:-}" platform="" target_jmods="" extra_dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out=$2; shift 2 ;;
    --plugins) plugins=$2; shift 2 ;;
    --link) link=true; shift ;;
    --jdk) jdk=$2; shift 2 ;;
    --plugin-dir) [ -z "$2" ] || extra_dirs+=("$2"); shift 2 ;;
    --platform) platform=$2; shift 2 ;;
    --target-jmods) target_jmods=$2; shift 2 ;;
    *) echo "custom-image: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "custom-image: --output DIR is required" >&2; exit 2; }
[ -d "$dist" ] && [ -d "$core" ] || { echo "custom-image: build first: ./mvnw package -DskipTests" >&2; exit 1; }
[ -x "$jdk/bin/jlink" ] || { echo "custom-image: set JAVA_HOME (or --jdk) to a JDK 25" >&2; exit 1; }
[ -n "$plugins" ] || plugins=$(cd "$dist/plugins" && ls | paste -sd, -)
[ -e "$out" ] && { echo "custom-image: $out exists; remove it first" >&2; exit 1; }
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) host=linux-x86_64 ;; Linux-aarch64) host=linux-aarch64 ;;
  Darwin-x86_64) host=macos-x86_64 ;; Darwin-arm64) host=macos-aarch64 ;; *) host=unknown ;;
esac
[ -n "$platform" ] || platform=$host
if [ "$platform" != "$host" ] && [ -z "$target_jmods" ]; then
  echo "custom-image: an image for $platform (this machine is $host) needs --target-jmods: the jmods/ of a JDK 25 for $platform" >&2
  exit 2
fi
for d in "${extra_dirs[@]}"; do
  [ -d "$d" ] && ls "$d"/*.jar >/dev/null 2>&1 || { echo "custom-image: --plugin-dir $d is not a folder of jars" >&2; exit 1; }
done

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
  if [ "$platform" != "$host" ]; then
    # The distribution's folders keep only this machine's natives: start again from the
    # reactor's output, which still has every platform's.
    folder="$out/.unstripped/$p"
    mkdir -p "$folder"
    cp "$root/plugins/$p"/target/caxton-"$p"-*.jar "$folder/"
    cp "$root/plugins/$p"/target/plugin-libs/*.jar "$folder/" 2>/dev/null || true
  fi
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

for d in "${extra_dirs[@]}"; do
  name=$(basename "$d")
  cp -r "$d" "$out/plugins/$name"
  echo "custom-image: third-party plugin $name added as a folder"
done
bash "$root/distribution/src/strip-natives.sh" "$platform" "$out"/plugins/*/

# Netty's native transport is a module nobody requires: name it, or the API falls back to NIO.
# Only the build's platform has one among the core modules; other platforms run on NIO unless its
# native jar (netty-transport-native-epoll-...-linux-aarch_64, -kqueue-...-osx-...) joins --module-path.
if [ "$platform" = linux-x86_64 ]; then
  addmods="$addmods,io.netty.transport.epoll.linux.x86_64"
  native="$native,io.netty.common"
fi
[ -n "$target_jmods" ] && modpath="$target_jmods:$modpath"
# A CDS archive is made by running the new image, which only works for this machine's platform.
cds=--generate-cds-archive
[ "$platform" = "$host" ] || cds=""

"$jdk/bin/jlink" --module-path "$modpath" \
  --add-modules "$addmods,java.sql,java.sql.rowset,jdk.unsupported,jdk.crypto.ec,java.management,jdk.management,java.naming,java.xml,jdk.zipfs" \
  --output "$out/runtime" --strip-debug --no-header-files --no-man-pages --compress zip-6 $cds \
  --add-options="--add-modules=ALL-SYSTEM --enable-native-access=$native --sun-misc-unsafe-memory-access=allow"
rm -rf "$out/.unstripped"
echo "custom-image: $out is $(du -sh "$out" | cut -f1) for $platform"
if [ "$platform" = "$host" ]; then
  # The new runtime needs its own client AOT cache: a cache only serves the image it was made on.
  bash "$(dirname "$0")/train-cli-aot.sh" "$out"
  "$out/bin/caxton" plugins list
fi
