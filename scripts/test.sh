#!/bin/sh
# The README's second command: install what is missing, build, and run the
# whole test suite (unit tests, ONNX conformance, CLI, PyTorch-exported
# models incl. the torchvision zoo, and a full rebuild under
# AddressSanitizer + UndefinedBehaviorSanitizer). Extra arguments go to
# ctest, e.g.  scripts/test.sh -L fast   (the quick subset)
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --if-missing
# ONNX Runtime for the optimize test's cross-check; without network the
# test skips that check and says so
bench/setup_ort.sh || echo "note: could not install onnxruntime-node; the ONNX Runtime cross-check will be skipped"
scripts/build.sh
cd build
# two tests at a time on a 2-core machine (OBN_TEST_JOBS overrides): the
# long suites (zoo, sanitizers, fuzzing) start first and the short ones fill
# the other core; a -j given in the arguments wins
exec ctest --output-on-failure -j "${OBN_TEST_JOBS:-$(nproc)}" "$@"
