#!/bin/sh
# The onnxbn command's behaviour: exit codes (0 ok, 1 compare failed,
# 2 usage/load error), messages that name the culprit, files written.
# usage: test_cli.sh ONNXBN MODELS_DIR TESTDATA_DIR
set -u
bin=$1 models=$2 data=$3
model=$models/convbnrelu/model.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect CODE PATTERN -- command...: exit status must be CODE and the
# combined output must match the grep pattern PATTERN
expect() {
    code=$1 pattern=$2
    shift 3
    "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" != "$code" ] || ! grep -q -- "$pattern" "$tmp/out"; then
        echo "FAIL: $* -> exit $got (want $code), output must match '$pattern':"
        sed 's/^/    /' "$tmp/out" | head -20
        fails=$((fails + 1))
    else
        echo "ok: $*"
    fi
}

expect 2 "usage" -- "$bin"
expect 2 "unknown command" -- "$bin" frobnicate
expect 0 "onnxbn test" -- "$bin" help
expect 0 "BatchNormalization *1 6 7 9 14 15" -- "$bin" ops
expect 0 "BatchNormalization *2" -- "$bin" info "$model"
expect 0 "ai.onnx=13" -- "$bin" info "$model"
expect 0 "input *float *\[1,3,16,16\]" -- "$bin" info "$model"
expect 0 "initializers:" -- "$bin" info "$model"
expect 2 "no-such.onnx: cannot open" -- "$bin" info "$tmp/no-such.onnx"
printf 'this is not a protobuf at all\n' >"$tmp/garbage.onnx"
expect 2 "garbage.onnx: .*not a valid ONNX model" -- "$bin" info "$tmp/garbage.onnx"
: >"$tmp/empty.onnx"
expect 2 "empty.onnx: the file is empty" -- "$bin" run "$tmp/empty.onnx"

# run: random inputs are announced; outputs summarised and written
expect 0 "filled with seeded random values" -- "$bin" run "$model" --seed 7
expect 0 "output 'output': float \[1,8,16,16\]" -- "$bin" run "$model" -o "$tmp/out1" --threads 2
[ -s "$tmp/out1/output.pb" ] || { echo "FAIL: run -o did not write output.pb"; fails=$((fails + 1)); }
expect 2 "no input named 'nope'" -- "$bin" run "$model" -i "nope=$tmp/x.pb"
expect 2 "cannot open" -- "$bin" run "$model" -i "input=$tmp/missing.pb"
expect 2 "input 'input': has shape \[1,8,16,16\]" -- "$bin" run "$model" -i "input=$models/convbnrelu/test_data_set_0/output_0.pb"
expect 2 "threads" -- "$bin" run "$model" --threads 0
expect 2 "unknown option" -- "$bin" run "$model" --bogus

# a run with the given input, written and re-read, reproduces PyTorch
expect 0 "wrote" -- "$bin" run "$model" -i "input=$models/convbnrelu/test_data_set_0/input_0.pb" -o "$tmp/out2"
mkdir -p "$tmp/selfcheck/t1/test_data_set_0"
cp "$model" "$tmp/selfcheck/t1/model.onnx"
cp "$models/convbnrelu/test_data_set_0/input_0.pb" "$tmp/selfcheck/t1/test_data_set_0/input_0.pb"
cp "$tmp/out2/output.pb" "$tmp/selfcheck/t1/test_data_set_0/output_0.pb"
expect 0 "1 passed, 0 failed, 0 skipped" -- "$bin" test "$tmp/selfcheck"
expect 0 "1 passed, 0 failed, 0 skipped" -- "$bin" test "$models/convbnrelu"

# test: a wrong expected output is a FAIL with exit 1
mkdir -p "$tmp/bad/t2/test_data_set_0"
cp "$model" "$tmp/bad/t2/model.onnx"
cp "$models/convbnrelu/test_data_set_0/input_0.pb" "$tmp/bad/t2/test_data_set_0/input_0.pb"
cp "$tmp/out1/output.pb" "$tmp/bad/t2/test_data_set_0/output_0.pb"
expect 1 "FAIL bad/t2: output 'output'.*values differ" -- "$bin" test "$tmp/bad"
expect 1 "0 passed, 1 failed, 0 skipped" -- "$bin" test "$tmp/bad"
# --expect: listed tests must pass; a listed test that is missing fails too
printf '# comment\nconvbnrelu\n' >"$tmp/list.txt"
expect 0 "0 not passing, 0 not found" -- "$bin" test --expect "$tmp/list.txt" "$models"
printf 'convbnrelu\nnode/test_nonexistent\n' >"$tmp/list2.txt"
expect 1 "test_nonexistent (not found)" -- "$bin" test --expect "$tmp/list2.txt" "$models"
expect 2 "not a folder" -- "$bin" test "$tmp/nowhere"
if [ -d "$data/node/test_relu" ]; then
    expect 0 "PASS node/test_relu" -- "$bin" test "$data/node/test_relu"
fi

# string tensors: info, run (quoted strings), -o, optimize --verify and test comparing them exactly
sdir=$data/node/test_strnormalizer_export_monday_casesensintive_upper
if [ -d "$sdir" ]; then
    expect 0 "x *string *\[4\]" -- "$bin" info "$sdir/model.onnx"
    expect 0 "first: \"TUESDAY\" \"WEDNESDAY\" \"THURSDAY\"" -- \
        "$bin" run "$sdir/model.onnx" -i "x=$sdir/test_data_set_0/input_0.pb" -o "$tmp/sout"
    expect 0 "verify: output 'y': .*ok" -- "$bin" optimize "$sdir/model.onnx" -o "$tmp/snorm.onnx" --verify
    mkdir -p "$tmp/sbad/t3/test_data_set_0"
    cp "$sdir/model.onnx" "$tmp/sbad/t3/model.onnx"
    cp "$sdir/test_data_set_0/input_0.pb" "$tmp/sbad/t3/test_data_set_0/input_0.pb"
    cp "$tmp/sout/y.pb" "$tmp/sbad/t3/test_data_set_0/output_0.pb"
    expect 0 "1 passed" -- "$bin" test "$tmp/sbad"
    # the lower-case test's output: same shape, other strings
    cp "$data/node/test_strnormalizer_export_monday_casesensintive_lower/test_data_set_0/output_0.pb" \
        "$tmp/sbad/t3/test_data_set_0/output_0.pb"
    expect 1 "output 'y': 3 of 3 strings differ (first at 0: \"TUESDAY\", expected \"tuesday\")" -- "$bin" test "$tmp/sbad"
fi
cdir=$data/node/test_cast_FLOAT_to_STRING
if [ -d "$cdir" ]; then
    mkdir -p "$tmp/scast/t4/test_data_set_0"
    cp "$cdir/model.onnx" "$tmp/scast/t4/model.onnx"
    cp "$cdir/test_data_set_0/input_0.pb" "$tmp/scast/t4/test_data_set_0/input_0.pb"
    "$bin" run "$cdir/model.onnx" -i "input=$cdir/test_data_set_0/input_0.pb" -o "$tmp/scout" >/dev/null 2>&1
    cp "$tmp/scout/output.pb" "$tmp/scast/t4/test_data_set_0/output_0.pb"
    expect 0 "1 passed" -- "$bin" test "$tmp/scast"
fi

# resource limits and timeouts (docs/security.md)
expect 2 "'conv2.weight' needs 288 bytes.*1280 bytes.*max_initializer_bytes" -- "$bin" run "$model" --max-initializers 1000
expect 2 "over the limit of 1 KiB (obn_limits.max_arena_bytes)" -- "$bin" run "$model" --max-arena 1K
expect 2 "'conv1.weight' has rank 4: over the limit of 3" -- "$bin" run "$model" --max-rank 3
expect 0 "output 'output'" -- "$bin" run "$model" --max-arena 1G --max-initializers 1M --max-rank 4 --max-graph-depth 2
expect 2 "needs a size in bytes" -- "$bin" run "$model" --max-arena 12X
expect 2 "from 1 to 8" -- "$bin" run "$model" --max-rank 9
expect 1 "CANCELLED.*timeout of 1e-09 s passed before node" -- "$bin" run "$model" --timeout 1e-9
expect 0 "output 'output'" -- "$bin" run "$model" --timeout 60
expect 2 "seconds > 0" -- "$bin" run "$model" --timeout -1

# recalibrate: new BN statistics from data (values: tests/runtime/test_recalibrate.c)
rdata="$(dirname "$model")/test_data_set_0/input_0.pb"
expect 0 "recalibrated 2 BatchNormalization nodes over 1 batches (exact cumulative)" -- \
    "$bin" recalibrate "$model" --data "$rdata" -o "$tmp/recal.onnx"
expect 0 "output 'output'" -- "$bin" run "$tmp/recal.onnx" -i "input=$rdata"
expect 0 "(momentum rule)" -- "$bin" recalibrate "$model" --data "$rdata" --momentum 0.9 -o "$tmp/recal_m.onnx"
expect 2 "usage: onnxbn recalibrate" -- "$bin" recalibrate "$model" -o "$tmp/recal2.onnx"
expect 2 "/nonexistent: no such file or folder" -- "$bin" recalibrate "$model" --data /nonexistent -o "$tmp/recal3.onnx"
expect 2 "needs a number in \[0, 1\]" -- "$bin" recalibrate "$model" --data "$rdata" --momentum 2 -o "$tmp/recal4.onnx"
expect 0 "folded BatchNormalization" -- "$bin" optimize "$model" -o "$tmp/folded.onnx"
expect 2 "recalibrate the model before folding" -- "$bin" recalibrate "$tmp/folded.onnx" --data "$rdata" -o "$tmp/recal5.onnx"

# .npy inputs (written with numpy when available)
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    /usr/bin/python3 -c "import numpy as np; np.save('$tmp/x.npy', np.ones((1,3,16,16), np.float32))"
    expect 0 "output 'output'" -- "$bin" run "$model" -i "input=$tmp/x.npy"
    /usr/bin/python3 -c "import numpy as np; np.save('$tmp/xd.npy', np.ones((1,3,16,16), np.float64))"
    expect 2 "has dtype double, the model expects float" -- "$bin" run "$model" -i "input=$tmp/xd.npy"
fi

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
