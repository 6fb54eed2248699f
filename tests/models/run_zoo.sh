#!/bin/sh
# The torchvision zoo, exported by models/export.py and compared with
# PyTorch's outputs (rtol 1e-3, atol 1e-4; wide_resnet50_2 2e-4, see
# `wider` below). Two suites (separate ctests, so
# that each stays bounded in time):
#
# classifiers (models_zoo): the CNN classifier zoo
#   - every zoo model at opsets 9, 11, 13 and 17 with BatchNormalization kept
#     (TrainingMode.PRESERVE), run with the graph passes (BN folded at load)
#     and without them (BN kernels);
#   - every zoo model at the same opsets with PyTorch's default eval export
#     (BN folded by the exporter);
#   - two models with a symbolic batch dimension run at batch 1 and 8 in one
#     session.
#   Each model is built once and exported in all eight forms.
#
# families (models_zoo_families): the newer torchvision families, one opset
# each, BN kept, run with and without the graph passes, compared with
# PyTorch's float64 result (see models/export.py), rtol 1e-3 and atol:
#   segmentation (FCN, DeepLabV3, LR-ASPP at 128x128; Resize)  opset 16  1e-3
#   video (3-D ResNets on 1x3x8x112x112; Conv3d, BatchNorm3d)   opset 13  1e-4
#   transformer (ViT-B/16, Swin-T, ConvNeXt-T, MaxViT-T; 224)   opset 17  1e-4
#   efficientnet_v2 (EfficientNetV2-S at 224)                   opset 13  2e-4
# The per-pixel segmentation maps have no global pool to average float32
# rounding: on fcn_resnet50 PyTorch's own float32 map is 2.0e-4 from its
# float64 one (onnxbn's: 3.1e-4; 1.9e-4 with OBN_WINOGRAD=0). The 110 random
# BN layers of EfficientNetV2-S amplify rounding the most of the classifiers:
# its logits are 1.0e-4 from float64 with Winograd convolutions, 1.8e-5 with
# OBN_WINOGRAD=0 (PyTorch's float32: 2.6e-5).
#
# At the end a table gives every model's largest absolute error per
# configuration.
# usage: run_zoo.sh PYTHON ONNXBN MODELS_DIR OUT_DIR [classifiers|families]
set -eu
py=$1 onnxbn=$2 models=$3 out=$4 suite=${5:-classifiers}
rm -rf "$out"
mkdir -p "$out"

zoo_export() { # export.py arguments; a failed export ends the test with its log
    if ! "$py" "$models/export.py" "$@" >>"$out/export.log" 2>&1; then
        cat "$out/export.log"
        echo "run_zoo: models/export.py failed (log above)" >&2
        exit 1
    fi
}

# Models compared at a wider atol than their suite's (name prefix:atol).
# wide_resnet50_2 (3x3 layers of 128-1024 channels): with Winograd
# F(4x4, 3x3) convolutions its BN-kept logits come 1.17e-4 from PyTorch's
# float32 ones on a Zen 5 (512-bit FMA tile; 1.14e-4 with the AVX2 tile),
# 4.2e-5 with OBN_WINOGRAD=0; ONNX Runtime's: 4.0e-5.
wider="wide_resnet50_2_:2e-4"

status=0
run() { # label dir [onnxbn test options]; $atol: the absolute tolerance
    label=$1 dir=$2
    shift 2
    ls "$dir" >"$dir.list"
    : >"$dir.$label.log"
    for w in $wider; do # the listed models first, each at its own atol
        grep "^${w%%:*}" "$dir.list" >"$dir.wider.list" || continue
        grep -v "^${w%%:*}" "$dir.list" >"$dir.rest.list" || true
        mv "$dir.rest.list" "$dir.list"
        echo "== $label $(basename "$dir"): $(tr '\n' ' ' <"$dir.wider.list")(rtol 1e-3, atol ${w##*:})"
        # shellcheck disable=SC2046
        "$onnxbn" test --verbose --rtol 1e-3 --atol "${w##*:}" "$@" --expect "$dir.wider.list" \
            $(sed "s|^|$dir/|" "$dir.wider.list") >>"$dir.$label.log" || status=1
    done
    echo "== $label $(basename "$dir") (rtol 1e-3, atol $atol)"
    if [ -s "$dir.list" ]; then
        # shellcheck disable=SC2046
        "$onnxbn" test --verbose --rtol 1e-3 --atol "$atol" "$@" --expect "$dir.list" \
            $(sed "s|^|$dir/|" "$dir.list") >>"$dir.$label.log" || status=1
    fi
    grep -v '^PASS' "$dir.$label.log" || true
    sed "s|^|$label |" "$dir.$label.log" >>"$out/results.txt"
}

case $suite in
classifiers)
    opsets="9 11 13 17" atol=1e-4
    # shellcheck disable=SC2086
    zoo_export --out "$out/{bn}/op{opset}" --opset $opsets --bn keep fold
    zoo_export --out "$out/dynamic" --opset 13 --bn keep --dynamic --batch 1 8 --models resnet18 mobilenet_v3_large
    cat "$out/export.log"
    for opset in $opsets; do
        run "keep-op$opset" "$out/keep/op$opset"
        run "keep-op$opset-nopass" "$out/keep/op$opset" --no-fuse
        run "fold-op$opset" "$out/fold/op$opset"
    done
    run dynamic "$out/dynamic"
    ;;
families)
    families="segmentation:16:1e-3 video:13:1e-4 transformer:17:1e-4 efficientnet_v2:13:2e-4"
    for f in $families; do
        zoo_export --out "$out/${f%%:*}" --family "${f%%:*}" --opset "$(echo "$f" | cut -d: -f2)"
    done
    cat "$out/export.log"
    for f in $families; do
        atol=${f##*:}
        run keep "$out/${f%%:*}"
        run keep-nopass "$out/${f%%:*}" --no-fuse
    done
    ;;
*)
    echo "run_zoo: unknown suite '$suite' (classifiers or families)" >&2
    exit 2
    ;;
esac

# model x configuration -> largest absolute error (or the failure)
echo "== max abs error vs PyTorch"
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
      printf "%-30s", "model"; for (j = 1; j <= m; j++) printf " %-13s", labels[j]; printf "\n"
      for (i = 1; i <= n; i++) {
        printf "%-30s", names[i]
        for (j = 1; j <= m; j++) printf " %-13s", ((names[i], labels[j]) in v) ? v[names[i], labels[j]] : "missing"
        printf "\n" } }' "$out/results.txt" | tee "$out/table.txt"
exit $status
