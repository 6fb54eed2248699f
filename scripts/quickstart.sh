#!/bin/sh
# The README's first command: install the Debian packages, build, and run
# onnxbn on the bundled Conv->BatchNorm->ReLU model.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --if-missing --no-python
scripts/build.sh
model=models/convbnrelu/model.onnx
echo
echo "== build/onnxbn info $model"
build/onnxbn info "$model"
echo
echo "== build/onnxbn run $model -i input=models/convbnrelu/test_data_set_0/input_0.pb -o build/quickstart-out"
build/onnxbn run "$model" -i input=models/convbnrelu/test_data_set_0/input_0.pb -o build/quickstart-out
echo
echo "== build/onnxbn test models/convbnrelu   (compares with PyTorch's output)"
build/onnxbn test models/convbnrelu
