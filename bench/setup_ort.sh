#!/bin/sh
# Installs the peer runtime for comparisons: ONNX Runtime's CPU build as
# bundled in the npm package onnxruntime-node (no download scripts run).
set -eu
cd "$(dirname "$0")"
if [ -d node_modules/onnxruntime-node ]; then
    echo "onnxruntime-node already installed in bench/node_modules"
    exit 0
fi
command -v npm >/dev/null || { echo "setup_ort.sh: npm is needed (Debian: apt-get install npm)" >&2; exit 2; }
npm install --no-save --ignore-scripts --prefix . onnxruntime-node >/dev/null
echo "installed onnxruntime-node $(node -p "require('./node_modules/onnxruntime-node/package.json').version")"
