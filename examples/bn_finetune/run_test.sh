#!/bin/sh
# The BN fine-tuning example end to end: make_step.py builds the graph, the
# data set and the initial state in WORK_DIR, finetune runs the 20 steps, and
# check.py compares them with the PyTorch reference: the committed
# reference.json, or with --torch one computed now (needs torch).
#   run_test.sh PYTHON FINETUNE WORK_DIR [--torch]
set -eu
py=$1 finetune=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/reference.json
rm -rf "$work"
mkdir -p "$work/out"
"$py" "$here/make_step.py" "$work"
if [ "${4:-}" = --torch ]; then
    ref=$work/reference.json
    "$py" "$here/make_step.py" --reference "$ref"
fi
"$finetune" "$work" "$work/out" >"$work/log.txt"
cat "$work/log.txt"
"$py" "$here/check.py" "$ref" "$work/log.txt" "$work/out"
