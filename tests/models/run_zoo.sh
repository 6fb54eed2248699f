#!/bin/sh
# The torchvision CNN zoo, exported by models/export.py and compared with
# PyTorch's logits (rtol 1e-3, atol 1e-4):
#   - every zoo model at opsets 9, 11, 13 and 17 with BatchNormalization kept
#     (TrainingMode.PRESERVE), run with the graph passes (BN folded at load)
#     and without them (BN kernels);
#   - every zoo model at the same opsets with PyTorch's default eval export
#     (BN folded by the exporter);
#   - two models with a symbolic batch dimension run at batch 1 and 8 in one
#     session.
# Each model is built once and exported in all eight forms. At the end a
# table gives every model's largest absolute error per configuration.
# usage: run_zoo.sh PYTHON ONNXBN MODELS_DIR OUT_DIR
set -eu
py=$1 onnxbn=$2 models=$3 out=$4
opsets="9 11 13 17"
rm -rf "$out"
mkdir -p "$out"

# shellcheck disable=SC2086
if ! "$py" "$models/export.py" --out "$out/{bn}/op{opset}" --opset $opsets --bn keep fold >"$out/export.log" 2>&1 ||
   ! "$py" "$models/export.py" --out "$out/dynamic" --opset 13 --bn keep --dynamic --batch 1 8 \
        --models resnet18 mobilenet_v3_large >>"$out/export.log" 2>&1; then
    cat "$out/export.log"
    echo "run_zoo: models/export.py failed (log above)" >&2
    exit 1
fi
cat "$out/export.log"

status=0
run() { # label dir [onnxbn test options]
    label=$1 dir=$2
    shift 2
    ls "$dir" >"$dir.list"
    echo "== $label"
    "$onnxbn" test --verbose --rtol 1e-3 --atol 1e-4 "$@" --expect "$dir.list" "$dir" >"$dir.$label.log" || status=1
    grep -v '^PASS' "$dir.$label.log" || true
    sed "s|^|$label |" "$dir.$label.log" >>"$out/results.txt"
}
for opset in $opsets; do
    run "keep-op$opset" "$out/keep/op$opset"
    run "keep-op$opset-nopass" "$out/keep/op$opset" --no-fuse
    run "fold-op$opset" "$out/fold/op$opset"
done
run dynamic "$out/dynamic"

# model x configuration -> largest absolute error (or the failure)
echo "== max abs error vs PyTorch (rtol 1e-3, atol 1e-4)"
awk '
    $2 !~ /^(PASS|FAIL|ERROR|UNSUPPORTED)$/ { next }
    { label = $1; verdict = $2; name = $3; sub(/:$/, "", name); sub(/.*\//, "", name)
      sub(/_op[0-9]+_(keep|fold).*$/, "", name)
      if (label == "dynamic") next
      err = "-"
      for (i = 1; i < NF; i++) if ($i == "abs" && $(i + 1) == "err") { err = $(i + 2); sub(/,$/, "", err) }
      cell = verdict == "PASS" ? err : verdict
      if (!(name in seen)) { seen[name] = 1; names[++n] = name }
      if (!(label in lseen)) { lseen[label] = 1; labels[++m] = label }
      if ((name, label) in v && v[name, label] != cell) { if (verdict != "PASS") v[name, label] = cell }
      else if (!((name, label) in v)) v[name, label] = cell }
    END {
      printf "%-20s", "model"; for (j = 1; j <= m; j++) printf " %-13s", labels[j]; printf "\n"
      for (i = 1; i <= n; i++) {
        printf "%-20s", names[i]
        for (j = 1; j <= m; j++) printf " %-13s", ((names[i], labels[j]) in v) ? v[names[i], labels[j]] : "missing"
        printf "\n" } }' "$out/results.txt" | tee "$out/table.txt"
exit $status
