#!/bin/sh
# A/B of two onnxbn builds on the same models: for each of ROUNDS rounds the
# two run one after the other (RUNS timed runs each), and the line gives
# each build's median over rounds and the median (min, max) of the per-round
# ratios new / base. Pairs taken seconds apart cancel most of the drift of a
# shared host, which moves whole runs by 10-50 % over minutes.
# usage: BASE=path/to/onnxbn [NEW=build/onnxbn] bench/ab.sh THREADS ROUNDS RUNS MODEL...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base=${BASE:?set BASE to the onnxbn binary to compare against}
new=${NEW:-$here/../build/onnxbn}
[ $# -ge 4 ] || { echo "usage: BASE=... bench/ab.sh THREADS ROUNDS RUNS MODEL..." >&2; exit 2; }
t=$1 r=$2 n=$3
shift 3
ms() { "$1" bench "$2" --threads "$t" --runs "$n" --json | sed -n 's/.*"median_ms": *\([0-9.]*\).*/\1/p'; }
for m in "$@"; do
    i=0
    pairs=$(while [ $i -lt "$r" ]; do
        echo "$(ms "$base" "$m") $(ms "$new" "$m")"
        i=$((i + 1))
    done)
    echo "$pairs" | /usr/bin/python3 -c "
import statistics as st, sys
p = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
r = sorted(b / a for a, b in p)
print('%-40s t=%s base %9.3f ms  new %9.3f ms  new/base %.3f (%.3f-%.3f)' % (sys.argv[1], sys.argv[2],
      st.median(a for a, _ in p), st.median(b for _, b in p), st.median(r), r[0], r[-1]))" \
        "$(basename "$(dirname "$m")")" "$t"
done
