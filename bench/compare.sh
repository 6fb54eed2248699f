#!/bin/sh
# Side-by-side latency of onnxbn and ONNX Runtime (CPU) on the same models,
# measured in the same session: the two runtimes alternate for ROUNDS rounds
# (each round: warm-up, then RUNS timed runs), and the table reports the
# median over rounds of each round's median, and the ratio onnxbn / ORT
# (below 1 = onnxbn faster). The machine is shared and noisy: compare ratios,
# not absolute numbers across days.
# -F skips the no-fuse column (a third fewer runs; the column shows -).
# usage: bench/compare.sh [-r ROUNDS] [-n RUNS] [-t THREADS] [-b BATCH] [-F] MODEL...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
onnxbn=${ONNXBN:-$here/../build/onnxbn}
rounds=5 runs=20 threads=2 batch=1 nofuse=1
while getopts r:n:t:b:F opt; do
    case $opt in
    r) rounds=$OPTARG ;; n) runs=$OPTARG ;; t) threads=$OPTARG ;; b) batch=$OPTARG ;; F) nofuse=0 ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: bench/compare.sh [-r ROUNDS] [-n RUNS] [-t THREADS] [-b BATCH] [-F] MODEL..." >&2; exit 2; }
"$here/setup_ort.sh" >/dev/null
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }
printf '%-40s %12s %12s %12s %8s\n' model "onnxbn ms" "no-fuse ms" "ORT ms" ratio
for model in "$@"; do
    a=$(mktemp) b=$(mktemp) c=$(mktemp)
    i=0
    while [ $i -lt "$rounds" ]; do
        "$onnxbn" bench "$model" --runs "$runs" --threads "$threads" --batch "$batch" --json | field median_ms >>"$a"
        if [ "$nofuse" = 1 ]; then
            "$onnxbn" bench "$model" --runs "$runs" --threads "$threads" --batch "$batch" --no-fuse --json | field median_ms >>"$b"
        else
            echo nan >>"$b"
        fi
        node "$here/ort_bench.js" "$model" --runs "$runs" --threads "$threads" --batch "$batch" --json | field median_ms >>"$c"
        i=$((i + 1))
    done
    ma=$(median <"$a") mb=$(median <"$b") mc=$(median <"$c")
    ratio=$(awk -v x="$ma" -v y="$mc" 'BEGIN {printf "%.2f", x / y}')
    printf '%-40s %12.3f %12.3f %12.3f %8s\n' "$(basename "$(dirname "$model")")/$(basename "$model")" "$ma" "$mb" "$mc" "$ratio"
    rm -f "$a" "$b" "$c"
done
