#!/bin/sh
# The README's second command: build and run the whole test suite (unit
# tests, ONNX conformance, CLI, PyTorch-exported models, and a full rebuild
# under AddressSanitizer + UndefinedBehaviorSanitizer). Extra arguments go to
# ctest, e.g.  scripts/test.sh -L fast   (the quick subset)
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
exec ctest --output-on-failure "$@"
