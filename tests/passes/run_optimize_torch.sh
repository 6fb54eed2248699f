#!/bin/sh
# `onnxbn optimize` on PyTorch-exported models with BN kept (Conv-BN-ReLU in
# 1/2/3-D, a small ResNet, an MLP with BatchNorm1d; several opsets): the
# written file passes onnx.checker, has no BatchNormalization, keeps inputs,
# outputs and opsets, matches the original (--verify) and PyTorch's output
# (onnxbn test, passes off so the file itself is what runs), and — when
# onnxruntime-node is installed (bench/setup_ort.sh) — loads and runs in ONNX
# Runtime with the same result.
# usage: run_optimize_torch.sh PYTHON ONNXBN REPO_DIR OUT_DIR
set -eu
py=$1 onnxbn=$2 repo=$3 out=$4
cases="convbnrelu convbnrelu_1d convbnrelu_3d convbnrelu_opset7 convbnrelu_opset9 convbnrelu_opset15 resblock resblock_opset15 mlp_bn1d mlp_bn1d_opset9"
rm -rf "$out"
mkdir -p "$out/orig" "$out/opt"
# shellcheck disable=SC2086
"$py" "$repo/models/make_small.py" --out "$out/orig" --only $cases
ort="$repo/bench/node_modules/onnxruntime-node"
if [ -d "$ort" ] && command -v node >/dev/null; then use_ort=1; else use_ort=0; echo "note: onnxruntime-node not installed: skipping the ONNX Runtime check (bench/setup_ort.sh installs it)"; fi
for c in $cases; do
    mkdir -p "$out/opt/$c"
    cp -r "$out/orig/$c/test_data_set_0" "$out/opt/$c/"
    "$onnxbn" optimize "$out/orig/$c/model.onnx" -o "$out/opt/$c/model.onnx" --verify
    "$py" "$repo/tests/passes/check_optimized.py" "$out/orig/$c/model.onnx" "$out/opt/$c/model.onnx" \
        "$out/orig/$c/test_data_set_0" "$out/opt/$c/raw"
    if [ "$use_ort" = 1 ]; then node "$repo/tests/passes/ort_check.js" "$out/opt/$c/model.onnx" "$out/opt/$c/raw" "$ort"; fi
done
echo "$cases" | tr ' ' '\n' >"$out/list"
"$onnxbn" test --no-fuse --atol 1e-5 --expect "$out/list" "$out/opt"
