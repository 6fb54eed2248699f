#!/bin/sh
# The CLI under valgrind memcheck: any invalid read or write, use of an
# uninitialised value, invalid free, or definite/indirect leak fails the test
# (possibly-lost and still-reachable blocks, the OpenMP runtime's thread
# pools, are not counted). Each step is one valgrind process:
#   1. the conformance run of the ONNX 1.12 data: onnxbn test over node,
#      pytorch-converted, pytorch-operator and simple with the manifests
#      (tests/conformance/*.txt) as --expect, so every listed test must still
#      pass, and the tests onnxbn refuses or fails exercise the error paths;
#   2. the same for the ONNX 1.23 data and its manifests (tests/conformance/
#      onnx123/*.txt) when present ($OBN_ONNX123_DIR, else SOURCE_DIR/../
#      shared/onnx-1.23-tests);
#   3. the small models: models/convbnrelu and, when PYTHON can export them,
#      models/make_small.py's, with and without the graph passes; then
#      onnxbn optimize --verify and onnxbn run on convbnrelu;
#   4. the malformed and hostile models: the runtime suites that load them
#      (tests/runtime: import, loader_strict, fuzz_load, limits,
#      external_data, external_open, tensor_io, initializers, strings; in-process,
#      CK_FORK=no) and the fuzz targets on the crashers kept in tests/fuzz.
# --threads 1: valgrind runs one thread at a time anyway, and a single
# thread keeps the OpenMP runtime out of the way.
# usage: run_memcheck.sh VALGRIND BUILD_DIR SOURCE_DIR TESTDATA_DIR OUT_DIR [PYTHON]
set -eu
valgrind=$1 build=$2 src=$3 data=$4 out=$5 py=${6:-}
onnxbn=$build/onnxbn
data123=${OBN_ONNX123_DIR:-$src/../shared/onnx-1.23-tests}
rm -rf "$out"
mkdir -p "$out"
failed=0

# vgp NAME PROGRAM ARGS...: runs PROGRAM under memcheck, the log in
# OUT/NAME.log; vg NAME ARGS...: the same for the CLI
vgp() {
    name=$1
    shift
    start=$(date +%s)
    if "$valgrind" --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --num-callers=30 --log-file="$out/$name.log" \
        "$@" >"$out/$name.out" 2>&1; then
        echo "$name: clean ($(($(date +%s) - start)) s): $(tail -n 1 "$out/$name.out")"
    else
        echo "$name: FAILED (exit $?), see $out/$name.log and $out/$name.out:"
        grep -E "ERROR SUMMARY|definitely lost|indirectly lost|Invalid|uninitialised" "$out/$name.log" | head -n 20
        tail -n 5 "$out/$name.out"
        failed=$((failed + 1))
    fi
}
vg() {
    name=$1
    shift
    vgp "$name" "$onnxbn" "$@"
}

# suite MANIFEST_DIR DATA_DIR: `--expect M` per manifest, then the four
# suites, one word per line (the paths have no spaces)
suite() {
    for m in "$1"/*.txt; do printf '%s\n' --expect "$m"; done
    for d in node pytorch-converted pytorch-operator simple; do echo "$2/$d"; done
}

# shellcheck disable=SC2046
vg onnx112 test --threads 1 $(suite "$src/tests/conformance" "$data")
if [ -d "$data123/node" ]; then
    # shellcheck disable=SC2046
    vg onnx123 test --threads 1 $(suite "$src/tests/conformance/onnx123" "$data123")
else
    echo "onnx123: skipped, no data at $data123"
fi

mkdir -p "$out/small"
cp -r "$src/models/convbnrelu" "$out/small/"
if [ -z "$py" ] || ! "$py" "$src/models/make_small.py" --out "$out/small" >"$out/make_small.log" 2>&1; then
    echo "small: models/make_small.py not run or failed (see $out/make_small.log): convbnrelu only"
fi
ls "$out/small" >"$out/small.list"
vg small test --threads 1 --atol 1e-5 --expect "$out/small.list" "$out/small"
vg small_nofuse test --threads 1 --atol 1e-5 --no-fuse --expect "$out/small.list" "$out/small"
vg optimize optimize "$src/models/convbnrelu/model.onnx" -o "$out/convbnrelu_opt.onnx" --verify
vg run run "$out/convbnrelu_opt.onnx" --threads 1 -o "$out/run"

for t in import loader_strict fuzz_load limits external_data external_open tensor_io initializers strings; do
    CK_FORK=no vgp "runtime_$t" "$build/tests/runtime_test_$t"
done
for t in model_run tensor_run optimize; do
    vgp "fuzz_$t" "$build/fuzz/fuzz_replay_$t" "$src/tests/fuzz/$t"
done

echo "memcheck: $failed step(s) with errors"
[ "$failed" -eq 0 ]
