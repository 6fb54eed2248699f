#!/bin/sh
# Exports the small PyTorch Conv->BN->ReLU models (BN kept) and checks that
# onnxbn reproduces PyTorch's outputs (ONNX backend tolerance rtol 1e-3, with
# an absolute floor of 1e-5 for values near zero). Every exported model must
# pass: an unsupported one counts as a failure.
# usage: run_small.sh PYTHON ONNXBN MODELS_DIR OUT_DIR
set -eu
py=$1 onnxbn=$2 models=$3 out=$4
rm -rf "$out"
"$py" "$models/make_small.py" --out "$out"
ls "$out" >"$out.list"
"$onnxbn" test --atol 1e-5 --expect "$out.list" "$out"   # graph passes on (BN folded)
"$onnxbn" test --atol 1e-5 --no-fuse --expect "$out.list" "$out"   # BN kernels
