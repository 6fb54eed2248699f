#!/bin/sh
# Runs one libFuzzer target for a bounded time (the 'fuzz' ctest label).
#   run_fuzz.sh FUZZER TARGET SOURCE_DIR WORK_DIR SECONDS
# $OBN_FUZZ_SECONDS overrides SECONDS. The seed corpus is built once into
# WORK_DIR/seeds (delete it to rebuild); what the fuzzer finds worth keeping
# goes to WORK_DIR/corpus/TARGET, so a later run starts from there; crashers
# are written to WORK_DIR/artifacts/. Fails on any crash, leak, sanitizer
# report, allocation over 2 GiB or input that takes over 10 s.
set -eu
fuzzer=$1
target=$2
src=$3
work=$4
secs=${OBN_FUZZ_SECONDS:-$5}
if [ ! -d "$work/seeds/$target" ]; then
    "$src/fuzz/make_seeds.sh" "$work/seeds.tmp" "$src"
    rm -rf "$work/seeds"
    mv "$work/seeds.tmp" "$work/seeds"
fi
mkdir -p "$work/corpus/$target" "$work/artifacts"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$target-" "$work/corpus/$target" "$work/seeds/$target"
