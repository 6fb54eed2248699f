#!/bin/sh
# The CLI with --plugin: the example plugin's operators run in the models
# make_model.py wrote (onnxbn test compares them with numpy's outputs), show
# in info and ops, and without the plugin the model is refused naming the
# node; a plugin for another ABI is refused with exit status 2.
#   test_plugin_cli.sh ONNXBN LIBMYOPS LIBABI2 MODELS_DIR
set -eu
onnxbn=$1 plugin=$2 abi2=$3 models=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$onnxbn" test --verbose --plugin "$plugin" "$models" >"$tmp/test.out" || { cat "$tmp/test.out"; fail "onnxbn test"; }
cat "$tmp/test.out"
grep -qx '2 passed, 0 failed, 0 skipped' "$tmp/test.out" || fail "expected 2 passed"

model=$models/custom_op_const/model.onnx
"$onnxbn" run --plugin "$plugin" "$model" -i "X=$models/custom_op_const/test_data_set_0/input_0.pb" -o "$tmp/out" \
    >"$tmp/run.out" 2>&1 || { cat "$tmp/run.out"; fail "onnxbn run --plugin"; }
grep -q "output 'Z': float \[2,3,5\]" "$tmp/run.out" || { cat "$tmp/run.out"; fail "run output"; }
[ -s "$tmp/out/Z.pb" ] && [ -s "$tmp/out/T.pb" ] || fail "run -o did not write Z.pb and T.pb"

"$onnxbn" info --plugin "$plugin" "$model" >"$tmp/info.out" || fail "onnxbn info --plugin"
grep -q 'com.example.ScaledTanh .*(version 2)' "$tmp/info.out" || { cat "$tmp/info.out"; fail "info: ScaledTanh-2"; }
grep -q 'com.example.Dense .*(version 1)' "$tmp/info.out" || { cat "$tmp/info.out"; fail "info: Dense-1"; }

"$onnxbn" ops --signatures --plugin "$plugin" >"$tmp/ops.out" || fail "onnxbn ops --plugin"
grep -q "$(printf 'com.example.ScaledTanh-2\tX ?bias\tY ?T')" "$tmp/ops.out" || fail "ops: ScaledTanh-2 signature"
grep -qx '3 plugin operator versions' "$tmp/ops.out" || fail "ops: plugin count"

"$onnxbn" bench --plugin "$plugin" --runs 2 --warmup 0 "$model" >"$tmp/bench.out" 2>&1 ||
    { cat "$tmp/bench.out"; fail "onnxbn bench --plugin"; }

set +e
"$onnxbn" run "$model" >"$tmp/noplugin.out" 2>&1
rc=$?
"$onnxbn" run --plugin "$abi2" "$model" >"$tmp/abi2.out" 2>&1
rc_abi=$?
set -e
[ $rc -eq 2 ] || fail "run without the plugin: exit $rc, expected 2"
grep -q 'node "dense" (com.example.Dense): operator Dense (domain com.example' "$tmp/noplugin.out" ||
    { cat "$tmp/noplugin.out"; fail "message without the plugin"; }
[ $rc_abi -eq 2 ] || fail "ABI 2 plugin: exit $rc_abi, expected 2"
grep -q 'built for onnxbn operator ABI 2.0; this library implements 1.0' "$tmp/abi2.out" ||
    { cat "$tmp/abi2.out"; fail "ABI message"; }
echo "plugin CLI test passed"
