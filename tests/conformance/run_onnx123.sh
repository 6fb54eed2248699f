#!/bin/sh
# The ONNX 1.23 backend tests (opsets up to 28, IR up to 13), which a clone
# may not have: the data folder is $OBN_ONNX123_DIR, else
# SOURCE_DIR/../shared/onnx-1.23-tests. When it is absent the test is skipped
# (exit 77, ctest's SKIP_RETURN_CODE), never failed.
#   run_onnx123.sh ONNXBN SOURCE_DIR      runs node, pytorch-converted,
#       pytorch-operator and simple with every tests/conformance/onnx123/*.txt
#       as --expect manifest (what they list must pass) and prints the counts
#   run_onnx123.sh --required SOURCE_DIR  check_required.sh's test groups must
#       be listed in those manifests, as for the 1.12 data
set -eu
required=0
if [ "$1" = --required ]; then
    required=1
else
    onnxbn=$1
fi
src=$2
data=${OBN_ONNX123_DIR:-$src/../shared/onnx-1.23-tests}
manifests=$src/tests/conformance/onnx123
if [ ! -d "$data/node" ]; then
    echo "skipped: ONNX 1.23 test data not found at $data (set OBN_ONNX123_DIR)"
    exit 77
fi
if [ "$required" -eq 1 ]; then
    exec "$src/tests/conformance/check_required.sh" "$manifests" "$data"
fi
set --
for m in "$manifests"/*.txt; do
    [ -f "$m" ] && set -- "$@" --expect "$m"
done
exec "$onnxbn" test "$@" "$data/node" "$data/pytorch-converted" "$data/pytorch-operator" "$data/simple"
