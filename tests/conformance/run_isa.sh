#!/bin/sh
# The conformance manifests (ONNX 1.12 test data, and the 1.23 data when it
# is present) and the bundled model, with the kernels forced to one ISA
# level through OBN_ISA, so every level the CPU has runs the same checks.
# Exit 77 (ctest: skipped) with a message when the CPU lacks the level.
# usage: run_isa.sh LEVEL ONNXBN SOURCE_DIR DATA_1_12
set -eu
level=$1 onnxbn=$2 src=$3 data=$4
rank() { case $1 in portable) echo 0 ;; avx2) echo 1 ;; avx512) echo 2 ;; *) echo 9 ;; esac; }
have=$("$onnxbn" version | sed -n 's/.*CPU supports \([a-z0-9]*\).*/\1/p')
if [ "$(rank "$level")" -gt "$(rank "$have")" ]; then
    echo "skipped: this CPU supports $have, not $level"
    exit 77
fi
export OBN_ISA=$level
"$onnxbn" version
expect=""
for m in "$src"/tests/conformance/*.txt; do expect="$expect --expect $m"; done
# shellcheck disable=SC2086
"$onnxbn" test $expect "$data/node" "$data/pytorch-converted" "$data/pytorch-operator" "$data/simple" | tail -1
d123=${OBN_ONNX123_DIR:-$src/../shared/onnx-1.23-tests}
if [ -d "$d123/node" ]; then
    expect=""
    for m in "$src"/tests/conformance/onnx123/*.txt; do expect="$expect --expect $m"; done
    # shellcheck disable=SC2086
    "$onnxbn" test $expect "$d123/node" "$d123/pytorch-converted" "$d123/pytorch-operator" "$d123/simple" | tail -1
else
    echo "ONNX 1.23 data not found at $d123: only the 1.12 manifests were run"
fi
"$onnxbn" test "$src/models/convbnrelu" | tail -1
"$onnxbn" test --no-fuse "$src/models/convbnrelu" | tail -1
