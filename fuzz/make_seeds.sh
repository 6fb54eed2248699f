#!/bin/sh
# Builds the seed corpora of the fuzz targets from what the repository and
# the machine have:
#   model_run, optimize  the repo's models (models/, fuzz/models/) and every
#                        model.onnx of the ONNX backend tests (1.12 from
#                        libonnx-testdata; 1.23 when present)
#   tensor_run           the input/output .pb files of those tests' first
#                        data set, plus .npy files of several dtypes and
#                        header versions (written with numpy when available)
# and, for each target, the crashers kept in tests/fuzz/<target>/.
#   make_seeds.sh OUT_DIR SOURCE_DIR     -> OUT_DIR/<target>/
# Files over 64 KiB are left out (libFuzzer mutates small inputs best).
# Data folders: $OBN_TESTDATA (default /usr/share/libonnx-testdata/data),
# $OBN_ONNX123_DIR (default SOURCE_DIR/../shared/onnx-1.23-tests); a missing
# folder is skipped.
set -eu
out=$1
src=$(cd "$2" && pwd)
testdata=${OBN_TESTDATA:-/usr/share/libonnx-testdata/data}
onnx123=${OBN_ONNX123_DIR:-$src/../shared/onnx-1.23-tests}
max=65536
# absolute paths: seed names are made from them
[ -d "$onnx123" ] && onnx123=$(cd "$onnx123" && pwd)
[ -d "$testdata" ] && testdata=$(cd "$testdata" && pwd)
for t in model_run tensor_run optimize; do
    rm -rf "$out/$t"
    mkdir -p "$out/$t"
done

# seeds TARGET... : copies the files named on stdin (one per line) into each
# corpus, each named after its path so that names never collide
seeds() {
    awk -v max="$max" '{ name = $0; sub(/^\//, "", name); gsub(/\//, "_", name); print $0 "\t" name }' |
        while IFS="$(printf '\t')" read -r f name; do
            for t in "$@"; do cp "$f" "$out/$t/$name"; done
        done
}

find "$src/models" "$src/fuzz/models" -name '*.onnx' -size -$((max / 1024 + 1))k | seeds model_run optimize
for suite in "$testdata" "$onnx123"; do
    if [ ! -d "$suite" ]; then
        echo "make_seeds: no test data at $suite (skipped)"
        continue
    fi
    for group in node pytorch-converted pytorch-operator simple; do
        [ -d "$suite/$group" ] || continue
        find "$suite/$group" -mindepth 2 -maxdepth 2 -name model.onnx -size -$((max / 1024 + 1))k |
            seeds model_run optimize
        find "$suite/$group" -mindepth 3 -maxdepth 3 -path '*/test_data_set_0/*.pb' -size -$((max / 1024 + 1))k |
            seeds tensor_run
    done
done

# .npy seeds: the header versions and dtypes obn_tensor_load reads
py=${OBN_PYTHON:-/usr/bin/python3}
if "$py" -c "import numpy" 2>/dev/null; then
    "$py" - "$out/tensor_run" <<'PY'
import sys
import numpy as np
from numpy.lib import format as fmt
out = sys.argv[1]
arrays = {
    "f32_2x3": np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
    "i64_scalar": np.array(7, dtype=np.int64),
    "u8_4": np.array([0, 1, 254, 255], dtype=np.uint8),
    "bool_2x2": np.array([[True, False], [False, True]]),
    "f16_3": np.array([0.5, -1.0, 65504.0], dtype=np.float16),
    "f64_empty": np.zeros((0, 3), dtype=np.float64),
    "i32_1x1x2": np.array([[[-3, 3]]], dtype=np.int32),
}
for name, a in arrays.items():
    for version in ((1, 0), (2, 0), (3, 0)):
        with open("%s/npy_%s_v%d.npy" % (out, name, version[0]), "wb") as f:
            fmt.write_array(f, a, version=version)
PY
else
    echo "make_seeds: numpy not available: no .npy seeds"
fi

for t in model_run tensor_run optimize; do
    if [ -d "$src/tests/fuzz/$t" ]; then
        for f in "$src/tests/fuzz/$t"/*; do [ -f "$f" ] && cp "$f" "$out/$t/"; done
    fi
    echo "make_seeds: $t: $(ls "$out/$t" | wc -l) seeds"
done
