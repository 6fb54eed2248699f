#!/bin/sh
# The shared library exports exactly the functions include/onnxbn.h declares
# (every one, and nothing else: no internal obn_* helper, no protobuf-c
# generated code), and its SONAME carries the major version.
#   check_exports.sh HEADER LIBRARY CC
set -eu
header=$1 lib=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# function names in the preprocessed header: an identifier followed by '('
# but not by '(*' (a function-pointer type: 'obn_status (*name)(...)')
"$cc" -E -P "$header" | grep -oP '\bobn_[a-z0-9_]+(?=\s*\((?!\s*\*))' | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u >"$tmp/exported"

status=0
if grep -v '^obn_' "$tmp/exported" >"$tmp/foreign"; then
    echo "FAIL: exported symbols without the obn_ prefix:"; cat "$tmp/foreign"; status=1
fi
comm -13 "$tmp/declared" "$tmp/exported" >"$tmp/extra"
comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/missing"
if [ -s "$tmp/extra" ]; then
    echo "FAIL: exported but not declared in $header:"; cat "$tmp/extra"; status=1
fi
if [ -s "$tmp/missing" ]; then
    echo "FAIL: declared in $header but not exported:"; cat "$tmp/missing"; status=1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
case $soname in
libonnxbn.so.[0-9]*) ;;
*) echo "FAIL: SONAME is '$soname', expected libonnxbn.so.<major>"; status=1 ;;
esac
echo "$(wc -l <"$tmp/exported") symbols exported, $(wc -l <"$tmp/declared") declared; SONAME $soname"
exit $status
