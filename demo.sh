#!/usr/bin/env bash
# The main job: build Caxton, start a node on the embedded defaults, deploy the example agents,
# show them exchanging messages (and one fault being contained), then stop the node cleanly.
#
#   ./demo.sh            build and run the demo
#   ./demo.sh --no-build run it on an image that is already built
set -euo pipefail
cd "$(dirname "$0")"

java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME:-}" ] || [ "$(java_major "$JAVA_HOME" 2>/dev/null || echo 0)" -lt 25 ]; then
  for c in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    [ -x "$c/bin/java" ] && export JAVA_HOME="$c" && break
  done
fi
if [ -z "${JAVA_HOME:-}" ] || [ "$(java_major "$JAVA_HOME" 2>/dev/null || echo 0)" -lt 25 ]; then
  echo "demo: Caxton builds with a JDK 25; set JAVA_HOME to one" >&2
  exit 1
fi

if [ "${1:-}" != "--no-build" ]; then
  echo "== building (./mvnw package -DskipTests)"
  ./mvnw -q -B package -DskipTests
fi

caxton=distribution/target/caxton/bin/caxton
examples=distribution/target/caxton/examples
work=$(mktemp -d -t caxton-demo-XXXXXX)
data="$work/data"
log="$work/server.log"
say() { printf '\n== %s\n' "$*"; }
run() { printf '$ caxton %s\n' "$*"; "$caxton" "$@" --data-dir "$data"; }

say "starting a node on the embedded defaults (API 127.0.0.1:8080, metrics :9090, data in $data)"
"$caxton" server start --data-dir "$data" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if [ -f "$data/api-token" ] && "$caxton" agent list --data-dir "$data" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log"; echo "demo: the server did not start" >&2; exit 1; fi
  sleep 0.2
done

say "deploying the example agents"
run agent deploy "$examples/echo/echo.wasm" --name echo
run agent deploy "$examples/counter/counter.wat" --name counter
run agent deploy "$examples/ping-pong/pong.wasm" --name pong
run agent deploy "$examples/ping-pong/ping.wasm" --name ping
run agent deploy "$examples/c/calculator/calculator.wasm" --name calculator
run agent list

say "talking to them"
run message send --to echo --performative request --content '{"hello":"caxton"}' --wait 5s
run message send --to counter --performative request --content '{}' --wait 5s
run message send --to counter --performative request --content '{}' --wait 5s
run message send --capability math --performative request --content '{"op":"mul","a":6,"b":7}' --wait 5s

say "agents talking to each other: ping and pong play three rounds"
run message send --to ping --performative request --content '"go"' --wait 5s
for _ in $(seq 1 50); do grep -q "finished after 3 rounds" "$log" && break; sleep 0.1; done
grep -E "\[(ping|pong)\]" "$log" | sed 's/^/  log: /'

say "a misbehaving agent is contained: an endless loop under a 300ms limit"
run agent deploy tests/agents/loop.wasm --name looper --timeout 300ms
run message send --to looper --performative request --content '{}' --wait 5s || true
run dead-letters list
run message send --to echo --performative request --content '"still serving"' --wait 5s
run agent inspect looper

say "stopping the node (SIGTERM: drain, close, exit 0)"
kill -TERM "$server"
status=0
wait "$server" || status=$?
trap - EXIT
echo "server exited with status $status; its log: $log"
exit "$status"
