#!/bin/sh
# Configures and builds onnxbn (Release) into ./build. Extra arguments go to
# cmake, e.g. scripts/build.sh -DOBN_SANITIZE=ON
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$jobs"
