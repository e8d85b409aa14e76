#!/bin/sh
# Builds {{name}}.wasm beside this script (Node.js and npm needed; see caxton-agent/build-agent.sh).
set -eu
cd "$(dirname "$0")"
# sh, not exec: a copied script may have lost its executable bit
exec sh caxton-agent/build-agent.sh '{{name}}.wasm'
