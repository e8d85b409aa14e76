#!/usr/bin/env bash
# Trains the AOT cache of client commands (runtime/lib/caxton-cli.aot) for an image: bin/caxton maps
# it for every command but `server` and `benchmark`. The JVM options must be exactly those the
# launcher gives client commands, or the JVM will not use the cache; change both together. The
# training runs the common client commands against a stand-in API on loopback
# (dev.caxton.cli.AotTraining). Only an image of this machine's platform can be trained.
# Usage: jlink/train-cli-aot.sh IMAGE_HOME
set -euo pipefail
home=$1
"$home/runtime/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  -XX:AOTCacheOutput="$home/runtime/lib/caxton-cli.aot" -Xlog:aot=error -Xlog:cds=error \
  -Dcaxton.home="$home" \
  -Djava.util.logging.SimpleFormatter.format='%1$tF %1$tT %4$-7s %3$s: %5$s%6$s%n' \
  -m dev.caxton.cli/dev.caxton.cli.AotTraining
if [ ! -s "$home/runtime/lib/caxton-cli.aot" ]; then
  echo "train-cli-aot: the client AOT cache was not written for $home" >&2
  exit 1
fi
