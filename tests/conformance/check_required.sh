#!/bin/sh
# The manifests must hold at least these test groups (the foundation issue's
# list): every test folder matching a pattern must be listed as must-pass.
# usage: check_required.sh MANIFEST_DIR TESTDATA_DIR
set -eu
manifests=$1 data=$2
listed=$(mktemp)
trap 'rm -f "$listed"' EXIT
cat "$manifests"/*.txt | sed 's/#.*//; s/[[:space:]]*$//' | grep -v '^$' | sort -u >"$listed"
missing=0 count=0
cd "$data"
for pattern in 'node/test_batchnorm_*' 'node/test_conv_*' 'node/test_basic_conv_*' 'node/test_gemm_*' \
    'node/test_relu' 'pytorch-converted/test_BatchNorm*' 'pytorch-converted/test_Conv1d*' \
    'pytorch-converted/test_Conv2d*' 'pytorch-converted/test_Conv3d*' 'pytorch-converted/test_Linear*' \
    'pytorch-converted/test_ReLU' 'node/test_convtranspose*'; do
    for dir in $pattern; do
        [ -d "$dir" ] || { echo "no test folder matches $pattern"; missing=$((missing + 1)); continue; }
        count=$((count + 1))
        grep -qx "$dir" "$listed" || { echo "not in any manifest: $dir"; missing=$((missing + 1)); }
    done
done
echo "$count required tests, $missing missing from the manifests"
[ "$missing" -eq 0 ]
