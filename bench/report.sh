#!/bin/sh
# The benchmark report of docs/benchmarks.md: exports the torchvision models
# (random weights, opset 17, BN kept, dynamic batch) once into DIR, runs
# bench/compare.sh on each for every thread count and batch size asked for,
# and writes
#   DIR/results.tsv   threads batch model onnxbn_ms ort_ms ratio
#   DIR/table.md      the same as a Markdown table, with the CPU and ISA
#   DIR/ratio.png     onnxbn / ORT per model and configuration (gnuplot bar
#   DIR/ratio.svg     chart, PNG and SVG)
# Throughput (images/s = batch x 1000 / median ms) is given for both.
# -m MODELS_DIR uses models exported there before (NAME_op17_keep_dyn/).
# Run it on an otherwise idle machine; the ratios are what to compare.
# usage: bench/report.sh [-o DIR] [-m MODELS_DIR] [-t "1 2"] [-b "1 8"] [-r ROUNDS] [-n RUNS] [MODEL...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=bench-report threads="1 2" batches="1" rounds=3 runs=15 mdir=
while getopts o:m:t:b:r:n: opt; do
    case $opt in
    o) out=$OPTARG ;; m) mdir=$OPTARG ;; t) threads=$OPTARG ;; b) batches=$OPTARG ;; r) rounds=$OPTARG ;; n) runs=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
models=${*:-"resnet18 resnet50 mobilenet_v2 mobilenet_v3_large efficientnet_b0 densenet121 shufflenet_v2_x1_0 squeezenet1_1 inception_v3 vit_b_16 swin_t convnext_tiny"}
onnxbn=${ONNXBN:-$here/../build/onnxbn}
mdir=${mdir:-$out/models}
mkdir -p "$out" "$mdir"
for m in $models; do
    [ -f "$mdir/${m}_op17_keep_dyn/model.onnx" ] ||
        /usr/bin/python3 "$here/../models/export.py" --out "$mdir" --models "$m" --opset 17 --bn keep \
            --dynamic --batch 1 >/dev/null
done
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
isa=$("$onnxbn" version | sed -n "s/^kernels: //p")
printf 'threads\tbatch\tmodel\tonnxbn_ms\tort_ms\tratio\n' >"$out/results.tsv"
for t in $threads; do
    for b in $batches; do
        for m in $models; do
            ONNXBN=$onnxbn "$here/compare.sh" -F -r "$rounds" -n "$runs" -t "$t" -b "$b" \
                "$mdir/${m}_op17_keep_dyn/model.onnx" | tail -1 |
                awk -v t="$t" -v b="$b" -v m="$m" '{printf "%s\t%s\t%s\t%s\t%s\t%s\n", t, b, m, $2, $4, $5}' \
                    >>"$out/results.tsv"
        done
    done
done
{
    echo "CPU: $cpu; onnxbn ISA: $isa; $(date -u +%Y-%m-%d); bench/compare.sh -F -r $rounds -n $runs"
    echo
    echo "| threads | batch | model | onnxbn ms | ORT ms | onnxbn / ORT | onnxbn images/s | ORT images/s |"
    echo "|---|---|---|---|---|---|---|---|"
    tail -n +2 "$out/results.tsv" |
        awk -F'\t' '{printf "| %s | %s | %s | %.2f | %.2f | %s | %.1f | %.1f |\n", $1, $2, $3, $4, $5, $6,
                     $2 * 1000 / $4, $2 * 1000 / $5}'
} >"$out/table.md"
if command -v gnuplot >/dev/null; then
    # one column per model, one bar per (threads, batch)
    awk -F'\t' 'NR > 1 {k = $1 "t b" $2; if (!(k in seen)) {seen[k] = 1; keys[++nk] = k}
                        if (!($3 in ms)) {ms[$3] = 1; mods[++nm] = $3} r[$3, k] = $6}
                END {printf "model"; for (j = 1; j <= nk; j++) printf "\t%s", keys[j]; print "";
                     for (i = 1; i <= nm; i++) {printf "%s", mods[i]; for (j = 1; j <= nk; j++) printf "\t%s", r[mods[i], keys[j]]; print ""}}' \
        "$out/results.tsv" >"$out/ratio.dat"
    ncol=$(head -1 "$out/ratio.dat" | awk -F'\t' '{print NF}')
    for fmt in "pngcairo size 1100,500 noenhanced font ',10'" "svg size 1100,500 noenhanced"; do
        ext=${fmt%% *}
        ext=${ext%cairo}
        gnuplot <<EOF
set terminal $fmt
set output "$out/ratio.$ext"
set title "onnxbn latency / ONNX Runtime latency (below 1: onnxbn faster) - $cpu"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set ylabel "ratio"
set xtics rotate by -30
set yrange [0:*]
set datafile separator "\t"
set key autotitle columnhead
plot for [c=2:$ncol] "$out/ratio.dat" using c:xtic(1), 1 with lines lw 2 lc rgb "black" title "parity"
EOF
    done
fi
cat "$out/table.md"
