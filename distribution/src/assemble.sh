#!/usr/bin/env bash
# Assembles target/caxton from what the reactor built:
#   runtime/   a jlink image: the JDK modules Caxton and its plugins need + the core modules
#   plugins/   one folder per plugin (its jar and its private libraries), loaded as module layers
#   tools/wat/ the WAT compiler, loaded on demand for .wat deployments
#   tools/verify/ the test kit with JUnit and AssertJ, loaded on demand by 'plugins verify'
#   conf/ examples/ sdk/ bin/caxton
# and the release archive target/caxton-VERSION-linux-x86_64.tar.gz holding that tree.
# Usage: assemble.sh JAVA_HOME ROOT TARGET VERSION
set -euo pipefail
java_home=$1 root=$2 target=$3 version=$4
out="$target/caxton"
rm -rf "$out"
mkdir -p "$out/bin" "$out/conf" "$out/plugins" "$out/tools/wat" "$out/tools/verify"

# JDK modules beyond what the core requires, needed by plugins loaded at run time (they cannot add
# JDK modules to an image after it is linked): java.sql(.rowset) for SQLite, jdk.unsupported for
# Netty (the TCP and QUIC transports), jdk.crypto.ec for TLS transports, java.management and jdk.management for JVM metrics.
# --add-modules=ALL-SYSTEM puts them in the boot layer at launch: a plugin layer can read JDK modules
# only from its parent, and nothing in the core requires them. dev.caxton.runtime gets native access
# because it grants native access to the plugin modules it loads (SQLite's JNI library).
jdk_extra=java.sql,java.sql.rowset,jdk.unsupported,jdk.crypto.ec,java.management,jdk.management,java.naming,java.xml,jdk.zipfs
# Netty's epoll library is a module nobody requires (it only carries the .so): link it by name so the
# API listener finds it; without it the server falls back to NIO. io.netty.common loads the library.
netty_native=io.netty.transport.epoll.linux.x86_64

# picocli ships Java 5 class files, which the AOT cache of client commands cannot hold: re-emit them
# as Java 8 class files (same code, with stack maps) before linking. See UpgradeClassFiles.java.
for jar in "$target"/core-modules/picocli-*.jar; do
  "$java_home/bin/java" "$root/distribution/src/UpgradeClassFiles.java" "$jar"
done

"$java_home/bin/jlink" \
  --module-path "$target/core-modules" \
  --add-modules dev.caxton.cli,$jdk_extra,$netty_native \
  --output "$out/runtime" \
  --strip-debug --no-header-files --no-man-pages --compress zip-6 --generate-cds-archive \
  --add-options="--add-modules=ALL-SYSTEM --enable-native-access=ALL-UNNAMED,dev.caxton.runtime,io.netty.common --sun-misc-unsafe-memory-access=allow"

for dir in "$root"/plugins/*/; do
  name=$(basename "$dir")
  # A support library (no provider: nothing under META-INF/services) gets no folder of its own;
  # each plugin that uses it carries a copy among its plugin-libs.
  if [ ! -d "$dir/src/main/resources/META-INF/services" ]; then
    continue
  fi
  jar=$(ls "$dir"/target/caxton-"$name"-"$version".jar 2>/dev/null || true)
  if [ -z "$jar" ]; then
    echo "assemble: plugin $name has no jar in $dir/target (was it built?)" >&2
    exit 1
  fi
  mkdir -p "$out/plugins/$name"
  cp "$jar" "$out/plugins/$name/"
  if [ -d "$dir/target/plugin-libs" ]; then
    cp "$dir"/target/plugin-libs/*.jar "$out/plugins/$name/" 2>/dev/null || true
  fi
done

# The runtime image above runs on the build machine's platform only, so other platforms' native
# libraries in the plugin folders are dead weight (wasmtime alone carries five, 23 MB).
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x86_64 ;;
  Linux-aarch64) platform=linux-aarch64 ;;
  Darwin-x86_64) platform=macos-x86_64 ;;
  Darwin-arm64) platform=macos-aarch64 ;;
  *) platform="" ;;
esac
if [ -n "$platform" ]; then
  bash "$root/distribution/src/strip-natives.sh" "$platform" "$out"/plugins/*/
fi

cp "$target"/wat-tool/*.jar "$out/tools/wat/"
cp "$target"/verify-tool/*.jar "$out/tools/verify/"
cp "$root/modules/testkit/target/caxton-testkit-$version.jar" "$out/tools/verify/"
cp "$root/distribution/src/conf/caxton.yaml" "$out/conf/"
cp "$root/distribution/src/bin/caxton" "$out/bin/caxton"
chmod +x "$out/bin/caxton"
if [ -d "$root/examples" ]; then
  mkdir -p "$out/examples"
  cp -r "$root/examples/." "$out/examples/"
  # A developer's local build of an example plugin is not part of the product.
  find "$out/examples" -name target -type d -prune -exec rm -rf {} +
fi
# The SDKs for agent authors, once the repository has them.
if [ -d "$root/sdk" ]; then
  mkdir -p "$out/sdk"
  cp -r "$root/sdk/." "$out/sdk/"
fi
echo "$version" > "$out/VERSION"

# Train the client commands' AOT cache (bin/caxton maps it); see jlink/train-cli-aot.sh.
bash "$root/jlink/train-cli-aot.sh" "$out"

# The release archive: the same tree under a versioned top folder, so unpacking two releases side
# by side never mixes them. The platform in the name is the one whose JDK linked the runtime image
# (linux-x86_64 on the CI machines).
archive="$target/caxton-$version-${platform:-unknown}.tar.gz"
rm -f "$archive"
tar -C "$target" --transform "s,^caxton,caxton-$version," -czf "$archive" caxton
echo "archived $archive ($(du -sh "$archive" | cut -f1))"
echo "assembled $out ($(du -sh "$out" | cut -f1))"
