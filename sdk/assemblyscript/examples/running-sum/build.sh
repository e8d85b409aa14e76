#!/bin/sh
# Builds running-sum.wasm beside this script (Node.js and npm needed; see ../../build-agent.sh).
set -eu
cd "$(dirname "$0")"
exec ../../build-agent.sh running-sum.wasm
