#!/bin/sh
# The torchvision CNN zoo, exported by models/export.py and compared with
# PyTorch's logits (rtol 1e-3, atol 1e-4):
#   - every zoo model at opset 13 with BatchNormalization kept, run with the
#     graph passes (BN folded at load) and without them (BN kernels);
#   - a sample at opsets 9, 11 and 17 (BN kept) and with PyTorch's default
#     eval export (BN folded by the exporter);
#   - two models with a symbolic batch dimension run at batch 1 and 8 in one
#     session.
# usage: run_zoo.sh PYTHON ONNXBN MODELS_DIR OUT_DIR
set -eu
py=$1 onnxbn=$2 models=$3 out=$4
rm -rf "$out"
mkdir -p "$out/op13" "$out/sample"
"$py" "$models/export.py" --out "$out/op13" --opset 13 --bn keep
sample="resnet18 mobilenet_v2 mobilenet_v3_small squeezenet1_1 shufflenet_v2_x0_5 efficientnet_b0 googlenet"
for opset in 9 11 17; do
    # shellcheck disable=SC2086
    "$py" "$models/export.py" --out "$out/sample" --opset "$opset" --bn keep --models $sample
done
# shellcheck disable=SC2086
"$py" "$models/export.py" --out "$out/sample" --opset 13 --bn fold --models $sample inception_v3
"$py" "$models/export.py" --out "$out/sample" --opset 13 --bn keep --dynamic --batch 1 8 --models resnet18 mobilenet_v3_large
ls "$out/op13" >"$out/op13.list"
ls "$out/sample" >"$out/sample.list"
status=0
echo "== zoo, opset 13, BN kept, graph passes on"
"$onnxbn" test --rtol 1e-3 --atol 1e-4 --expect "$out/op13.list" "$out/op13" || status=1
echo "== zoo, opset 13, BN kept, graph passes off"
"$onnxbn" test --rtol 1e-3 --atol 1e-4 --no-fuse --expect "$out/op13.list" "$out/op13" || status=1
echo "== sample: opsets 9/11/17, eval export, dynamic batch"
"$onnxbn" test --rtol 1e-3 --atol 1e-4 --expect "$out/sample.list" "$out/sample" || status=1
exit $status
